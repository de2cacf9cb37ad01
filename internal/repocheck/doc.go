// Package repocheck holds tests over the repository itself: facts a fresh
// machine depends on that no single package's tests can see, such as every
// program a test runs being installed by `make test`.
package repocheck
