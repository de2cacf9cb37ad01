// Package yamldoc decodes a config that must be exactly one YAML (or JSON)
// document with no unknown key: the gate's and the stage gate's. A second
// document would be silently ignored, and whatever it says (a stricter
// threshold, another check) would not be applied; an unknown key is a typo
// that would otherwise turn a check off.
package yamldoc

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// ErrEmpty means the input holds no document.
var ErrEmpty = errors.New("empty")

// DecodeOne decodes b's single document into v, refusing unknown keys.
func DecodeOne(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return ErrEmpty
		}
		return err
	}
	var more yaml.Node
	switch err := dec.Decode(&more); {
	case err == nil:
		return fmt.Errorf("a second YAML document starts at line %d (---): a config is one document; merge them or remove the ---", more.Line)
	case !errors.Is(err, io.EOF):
		return fmt.Errorf("a second YAML document follows (---), and it is not valid either: %w", err)
	}
	return nil
}
