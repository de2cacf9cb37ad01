package envelope

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// idDomain separates envelope ids from other sha256 uses and versions the
// derivation: changing the canonical encoding means a new domain.
const idDomain = "evalhouse/envelope/event-id/v1\n"

// DeriveID returns the event id derived from ev's content: 32 lowercase hex
// digits, the first 128 bits of sha256 over a domain prefix and the
// canonical encoding of ev with EventID cleared and ts and expires_at in
// UTC. The canonical encoding is json.Marshal of the Event struct, which
// is deterministic (fields in struct order, map keys sorted, empty
// optional fields omitted).
//
// Equal content gives equal ids whatever the key order or whitespace of
// the line it came from; any change to a field, attribute or free-form
// value gives a different id. Adding or renaming Event fields changes the
// encoding and must come with a new idDomain.
//
// DeriveID returns "" when json.Marshal rejects ev (for example a NaN in
// Attributes); events from Decode never fail.
func DeriveID(ev *Event) string {
	c := *ev
	c.EventID = ""
	c.TS = c.TS.UTC()
	if c.ExpiresAt != nil {
		t := c.ExpiresAt.UTC()
		c.ExpiresAt = &t
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(idDomain))
	h.Write(b)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}
