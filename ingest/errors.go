package ingest

import "errors"

// permanentError marks an error whose input fails the same way every time.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// NewPermanent marks err as permanent: the input that caused it (a body, a
// message, a document that does not decode) will fail again however often
// it is sent, so a source rejects it (HTTP 400, a Kafka dead letter, a file
// stopped with the error) instead of retrying. Every error a source meets
// that is not marked (the store, the network, a context) is retryable:
// HTTP answers 503 with Retry-After, Kafka reads the batch again. The
// model is the OpenTelemetry Collector's consumererror.NewPermanent.
// NewPermanent(nil) is nil.
func NewPermanent(err error) error {
	if err == nil {
		return nil
	}
	var p permanentError
	if errors.As(err, &p) {
		return err
	}
	return permanentError{err}
}

// IsPermanent reports whether err fails the same way however often it is
// retried: it (or an error it wraps) was marked with NewPermanent, or it is
// the store refusing the data itself (a ClickHouse exception whose code is
// not one of overload, availability or setup; see retryableCodes).
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p) || storeRefused(err)
}
