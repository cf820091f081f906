// Package report reads the files a job leaves behind to say how it went:
// JUnit XML test reports, Cobertura coverage reports and the coverage figure
// a job's `coverage:` regex finds in its log. It only reads: callers decide
// where the files come from and what to do with the results.
package report

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// newXMLDecoder returns a streaming decoder that accepts the encodings test
// tools actually declare. Reports from Java tools often say ISO-8859-1;
// refusing them would lose a whole test run over a header.
func newXMLDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
			return &latin1Reader{r: bufio.NewReader(in)}, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q (use UTF-8)", charset)
	}
	return d
}

// latin1Reader converts ISO-8859-1 bytes to UTF-8: each byte is the code
// point of the same value.
type latin1Reader struct {
	r   *bufio.Reader
	buf [utf8.UTFMax]byte
	n   int // bytes of buf not yet returned
	off int
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) {
		if l.off < l.n {
			c := copy(p[w:], l.buf[l.off:l.n])
			l.off += c
			w += c
			continue
		}
		b, err := l.r.ReadByte()
		if err != nil {
			if w > 0 {
				return w, nil
			}
			return 0, err
		}
		l.n = utf8.EncodeRune(l.buf[:], rune(b))
		l.off = 0
	}
	return w, nil
}

// xmlError turns a decoder error into one that says where in which file.
func xmlError(kind, name string, d *xml.Decoder, err error) error {
	line, col := d.InputPos()
	if se, ok := err.(*xml.SyntaxError); ok {
		return fmt.Errorf("%s report %s:%d:%d: %s (is the file complete, well-formed XML?)", kind, name, se.Line, col, se.Msg)
	}
	return fmt.Errorf("%s report %s:%d:%d: %w", kind, name, line, col, err)
}

// attr returns the value of the attribute called name, or "".
func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
