package chhttp

import (
	"bytes"
	"errors"
	"io"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
)

// reencodeNative turns the engine's Native output (written for protocol
// revision 0: no block info, no custom-serialization flags) into Native for
// the client's revision, as a ClickHouse server does over HTTP when the
// client sends client_protocol_version.
func reencodeNative(data []byte, rev uint64) ([]byte, error) {
	if rev > proto.DBMS_TCP_PROTOCOL_VERSION {
		rev = proto.DBMS_TCP_PROTOCOL_VERSION
	}
	r := chproto.NewReader(bytes.NewReader(data))
	ctx := &column.ServerContext{Timezone: time.UTC}
	var out chproto.Buffer
	out.Buf = make([]byte, 0, len(data)+64)
	for {
		b := proto.Block{ServerContext: ctx}
		if err := b.Decode(r, 0); err != nil {
			if errors.Is(err, io.EOF) {
				return out.Buf, nil
			}
			return nil, err
		}
		if err := b.Encode(&out, rev); err != nil {
			return nil, err
		}
	}
}
