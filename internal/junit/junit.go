// Package junit writes JUnit XML in the shape of the widely used
// JUnit/Ant schema, the evidence format CI systems show per check: one
// suite of cases, each passing, failed (a breach) or in error.
package junit

import (
	"encoding/xml"
	"io"
)

// Suites is the document.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one run of checks.
type Suite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr"`
	Properties []Property `xml:"properties>property"`
	Cases      []Case     `xml:"testcase"`
}

// Property is a name and value of the suite.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one check.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Skipped   *Message `xml:"skipped"`
	Error     *Message `xml:"error"`
	Failure   *Message `xml:"failure"`
	SystemOut string   `xml:"system-out,omitempty"`
}

// Message is a failure's or an error's.
type Message struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// Outcome of a case.
type Outcome int

const (
	Passed Outcome = iota
	Failed
	Errored
)

// Add appends a case to s with its outcome: a failure or an error carries
// msg and body; a pass carries msg as its system-out.
func (s *Suite) Add(name, class string, o Outcome, kind, msg, body string) {
	c := Case{Name: name, Classname: class, Time: "0"}
	switch o {
	case Failed:
		c.Failure = &Message{Message: msg, Type: kind, Body: body}
		s.Failures++
	case Errored:
		c.Error = &Message{Message: msg, Type: kind, Body: body}
		s.Errors++
	default:
		c.SystemOut = msg
	}
	s.Cases = append(s.Cases, c)
	s.Tests++
}

// Write writes name's document of one suite, indented, with the XML header.
func Write(w io.Writer, name string, s Suite) error {
	doc := Suites{Name: name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Suites: []Suite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
