package chdb

import (
	"syscall"
	"unsafe"
)

// kernelSigaction is struct sigaction as the rt_sigaction system call takes
// it on linux/amd64 and linux/arm64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// guardedSignals are the signals the engine takes over. Go's runtime needs
// its own handlers back, above all SIGSEGV for nil-pointer panics.
var guardedSignals = []syscall.Signal{
	syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGILL, syscall.SIGFPE, syscall.SIGABRT,
	syscall.SIGTRAP, syscall.SIGSYS, syscall.SIGTSTP, syscall.SIGINT, syscall.SIGTERM,
	syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2,
}

// signalState is a snapshot of the guarded signals' handlers.
type signalState [16]kernelSigaction

func saveSignals() (s signalState) {
	for i, sig := range guardedSignals {
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&s[i])), 8, 0, 0)
	}
	return s
}

// restore puts back every handler that differs from the snapshot and
// reports whether any had been changed.
func (s *signalState) restore() (changed bool) {
	for i, sig := range guardedSignals {
		var cur kernelSigaction
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&cur)), 8, 0, 0)
		if cur.handler == s[i].handler && cur.flags == s[i].flags {
			continue
		}
		changed = true
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&s[i])), 0, 8, 0, 0)
	}
	return changed
}
