package cjson

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Canonicalize checks data strictly, with the rules of [Decode], and returns
// its canonical encoding, as [EncodeCanonical] would write the tree Decode
// returns: object keys sorted by bytes, no whitespace, only `"` and `\`
// escaped in strings, integers only.
//
// It never builds a tree. It writes the canonical bytes as it scans and
// sorts an object's members in place once the object ends, so the memory it
// uses is bounded by a small multiple of len(data) whatever the document's
// shape: many tiny objects cost no more than one large string. Signature
// checks run on these bytes before anything builds a model of the file.
func Canonicalize(data []byte) (Raw, error) {
	doc, err := canonicalize(data, nil, false)
	return doc.Raw, err
}

// Document is a JSON document in canonical form, with what reading it
// found on the way.
type Document struct {
	// Raw is the canonical form, as Canonicalize returns it.
	Raw Raw
	// Members are the members of the top-level object in canonical
	// order, as Raw.Members returns them, or nil if the document is not
	// an object.
	Members []Member
	// MaxDigits is how many digits the longest number has (a sign not
	// counted), or 0 if there is none.
	MaxDigits int
}

// CanonicalizeDocument is Canonicalize, also returning the top-level
// object's members (appended to dst) without reading the canonical form
// again.
func CanonicalizeDocument(data []byte, dst []Member) (Document, error) {
	return canonicalize(data, dst, true)
}

func canonicalize(data []byte, dst []Member, wantTop bool) (Document, error) {
	if len(data) > maxCanonicalizeSize {
		return Document{}, fmt.Errorf("cjson: %d bytes is more than the %d Canonicalize reads", len(data), maxCanonicalizeSize)
	}
	if !utf8.Valid(data) {
		return Document{}, errors.New("cjson: invalid UTF-8")
	}
	// The canonical form is never longer than the input: out never
	// grows, so the offsets recorded into it stay valid.
	c := canonicalizer{in: data, out: make([]byte, 0, len(data)), wantTop: wantTop}
	var stack [32]member
	c.members = stack[:0]
	c.ws()
	if err := c.value(0); err != nil {
		return Document{}, err
	}
	c.ws()
	if c.pos != len(c.in) {
		return Document{}, fmt.Errorf("cjson: trailing data after JSON value at offset %d", c.pos)
	}
	doc := Document{Raw: Raw(c.out), MaxDigits: c.maxDigits}
	if wantTop && c.top != nil {
		doc.Members = dst
		if doc.Members == nil {
			doc.Members = make([]Member, 0, len(c.top))
		}
		for _, m := range c.top {
			doc.Members = append(doc.Members, Member{Key: keyString(c.out[m.key0+1 : m.key1-1]), Value: c.out[m.key1+1 : m.end : m.end]})
		}
	}
	return doc, nil
}

// member is an object member already written to the output: the key
// (with its quotes) at out[key0:key1], then ':' and the value up to end.
// Offsets are int32 (Canonicalize refuses larger input) to keep the
// records of an object with many small members small.
type member struct{ key0, key1, end int32 }

// maxCanonicalizeSize bounds the input Canonicalize accepts.
const maxCanonicalizeSize = 1 << 30

type canonicalizer struct {
	in      []byte
	pos     int
	out     []byte
	members []member // open objects' members, innermost last
	scratch []byte   // reused when an object's members are reordered

	wantTop   bool
	top       []member // the top-level object's members, in final positions
	maxDigits int
}

func (c *canonicalizer) errorf(format string, args ...any) error {
	return fmt.Errorf("cjson: offset %d: %s", c.pos, fmt.Sprintf(format, args...))
}

func (c *canonicalizer) ws() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *canonicalizer) value(depth int) error {
	if c.pos >= len(c.in) {
		return c.errorf("unexpected end of input")
	}
	switch b := c.in[c.pos]; {
	case b == '{':
		if depth >= MaxDepth {
			return c.errorf("nesting deeper than %d levels", MaxDepth)
		}
		return c.object(depth)
	case b == '[':
		if depth >= MaxDepth {
			return c.errorf("nesting deeper than %d levels", MaxDepth)
		}
		return c.array(depth)
	case b == '"':
		return c.str()
	case b == '-' || b >= '0' && b <= '9':
		return c.number()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	default:
		return c.errorf("unexpected character %q", b)
	}
}

func (c *canonicalizer) literal(lit string) error {
	if len(c.in)-c.pos < len(lit) || string(c.in[c.pos:c.pos+len(lit)]) != lit {
		return c.errorf("invalid literal")
	}
	c.pos += len(lit)
	c.out = append(c.out, lit...)
	return nil
}

func (c *canonicalizer) object(depth int) error {
	start := len(c.out)
	c.pos++ // '{'
	c.out = append(c.out, '{')
	base := len(c.members)
	c.ws()
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		c.out = append(c.out, '}')
		if depth == 0 && c.wantTop {
			c.top = []member{}
		}
		return nil
	}
	for {
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return c.errorf("expected an object key")
		}
		m := member{key0: int32(len(c.out))}
		if err := c.str(); err != nil {
			return err
		}
		m.key1 = int32(len(c.out))
		c.ws()
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return c.errorf("expected ':'")
		}
		c.pos++
		c.out = append(c.out, ':')
		c.ws()
		if err := c.value(depth + 1); err != nil {
			return err
		}
		m.end = int32(len(c.out))
		if len(c.members) == cap(c.members) {
			// Double, rather than append's slower growth for large
			// slices, so the records of a huge object cost at most
			// twice their size in allocations.
			c.members = slices.Grow(c.members, max(16, cap(c.members)))
		}
		c.members = append(c.members, m)
		c.ws()
		if c.pos >= len(c.in) {
			return c.errorf("unexpected end of input in object")
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
			c.ws()
			continue
		case '}':
			c.pos++
		default:
			return c.errorf("expected ',' or '}'")
		}
		break
	}
	err := c.order(start, c.members[base:])
	if err == nil && depth == 0 && c.wantTop {
		c.recordTop(start, c.members[base:])
	}
	c.members = c.members[:base]
	if err != nil {
		return err
	}
	c.out = append(c.out, '}')
	return nil
}

// recordTop records where the top-level object's members, sorted, ended up
// in the output: one after the other from just after the '{' at start,
// separated by commas.
func (c *canonicalizer) recordTop(start int, ms []member) {
	c.top = make([]member, len(ms))
	off := int32(start + 1)
	for i, m := range ms {
		if i > 0 {
			off++ // ','
		}
		n := m.end - m.key0
		c.top[i] = member{key0: off, key1: off + (m.key1 - m.key0), end: off + n}
		off += n
	}
}

// order sorts the members of the object whose '{' is at out[start] and
// refuses duplicate keys. Members written in order, as canonical and
// pretty files write them, cost one comparison each.
func (c *canonicalizer) order(start int, ms []member) error {
	key := func(m member) []byte { return c.out[m.key0+1 : m.key1-1] }
	sorted := true
	for i := 1; i < len(ms); i++ {
		switch compareEscaped(key(ms[i-1]), key(ms[i])) {
		case 0:
			return c.duplicate(key(ms[i]))
		case 1:
			sorted = false
		}
	}
	if sorted {
		return nil
	}
	slices.SortFunc(ms, func(a, b member) int { return compareEscaped(key(a), key(b)) })
	for i := 1; i < len(ms); i++ {
		if compareEscaped(key(ms[i-1]), key(ms[i])) == 0 {
			return c.duplicate(key(ms[i]))
		}
	}
	// Rewrite the members in order through the scratch buffer.
	body := c.out[start+1:]
	c.scratch = append(c.scratch[:0], body...)
	w := c.out[:start+1]
	off := int32(start + 1)
	for i, m := range ms {
		if i > 0 {
			w = append(w, ',')
		}
		w = append(w, c.scratch[m.key0-off:m.end-off]...)
	}
	c.out = w
	return nil
}

func (c *canonicalizer) duplicate(escaped []byte) error {
	return c.errorf("duplicate object key %q", unescapeCanonical(escaped))
}

// compareEscaped compares two object keys written in canonical form
// (without their quotes) by the bytes they stand for, as a sort of the
// decoded keys would.
func compareEscaped(a, b []byte) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x, y := a[i], b[j]
		i++
		j++
		if x == '\\' && i < len(a) {
			x = a[i]
			i++
		}
		if y == '\\' && j < len(b) {
			y = b[j]
			j++
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	}
	return 0
}

// unescapeCanonical decodes a canonical string body: `\x` stands for x.
func unescapeCanonical(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			i++
		}
		out = append(out, b[i])
	}
	return string(out)
}

func (c *canonicalizer) array(depth int) error {
	c.pos++ // '['
	c.out = append(c.out, '[')
	c.ws()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		c.out = append(c.out, ']')
		return nil
	}
	for {
		if err := c.value(depth + 1); err != nil {
			return err
		}
		c.ws()
		if c.pos >= len(c.in) {
			return c.errorf("unexpected end of input in array")
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
			c.ws()
		case ']':
			c.pos++
			c.out = append(c.out, ']')
			return nil
		default:
			return c.errorf("expected ',' or ']'")
		}
	}
}

// str reads the string at c.pos (which holds '"'), unquoting it as
// encoding/json does (an unpaired surrogate escape becomes U+FFFD), and
// writes it in canonical form.
func (c *canonicalizer) str() error {
	c.pos++ // opening quote
	c.out = append(c.out, '"')
	for c.pos < len(c.in) {
		b := c.in[c.pos]
		switch {
		case b == '"':
			c.pos++
			c.out = append(c.out, '"')
			return nil
		case b < 0x20:
			return c.errorf("control character in string")
		case b != '\\':
			// Copy the run of plain bytes at once.
			end := plainRun(c.in, c.pos+1)
			c.out = append(c.out, c.in[c.pos:end]...)
			c.pos = end
			continue
		}
		if c.pos+1 >= len(c.in) {
			return c.errorf("unterminated escape")
		}
		e := c.in[c.pos+1]
		c.pos += 2
		switch e {
		case '"', '\\':
			c.out = append(c.out, '\\', e)
		case '/':
			c.out = append(c.out, '/')
		case 'b':
			c.out = append(c.out, '\b')
		case 'f':
			c.out = append(c.out, '\f')
		case 'n':
			c.out = append(c.out, '\n')
		case 'r':
			c.out = append(c.out, '\r')
		case 't':
			c.out = append(c.out, '\t')
		case 'u':
			r := hex4(c.in, c.pos)
			if r < 0 {
				return c.errorf("invalid \\u escape")
			}
			c.pos += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if c.pos+1 < len(c.in) && c.in[c.pos] == '\\' && c.in[c.pos+1] == 'u' {
					r2 = hex4(c.in, c.pos+2)
				}
				if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
					c.pos += 6
					r = dec
				} else {
					r = unicode.ReplacementChar
				}
			}
			switch r {
			case '"', '\\':
				c.out = append(c.out, '\\', byte(r))
			default:
				c.out = utf8.AppendRune(c.out, r)
			}
		default:
			return c.errorf("invalid escape '\\%c'", e)
		}
	}
	return c.errorf("unterminated string")
}

// plainRun returns the offset of the first byte at or after i that ends a
// run of plain string bytes: '"', '\\' or a control character. It tests
// eight bytes at a time.
func plainRun(in []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(in); i += 8 {
		w := binary.LittleEndian.Uint64(in[i:])
		q := w ^ (ones * '"')
		bs := w ^ (ones * '\\')
		// A byte of a word below 0x20, or a zero byte of q or bs,
		// sets its high bit here (bytes of 0x80 and above never do).
		if ((w-ones*0x20)&^w|(q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
			break
		}
	}
	for i < len(in) && in[i] != '"' && in[i] != '\\' && in[i] >= 0x20 {
		i++
	}
	return i
}

// number reads a number with JSON's grammar and writes it unchanged; it
// must be an integer that fits in an int64, as canonical JSON requires.
func (c *canonicalizer) number() error {
	start := c.pos
	end, err := scanNumber(c.in, c.pos)
	if err != nil {
		return c.errorf("%v", err)
	}
	c.pos = end
	text := c.in[start:end]
	if len(text) == 2 && text[0] == '-' && text[1] == '0' {
		// Python's TUF clients read -0 as the integer 0 and sign "0":
		// the same document would mean different bytes to them.
		c.pos = start
		return c.errorf("the number -0 is not allowed (other implementations read it as 0)")
	}
	if !isInt64(text) {
		c.pos = start
		return c.errorf("number %s is not an integer canonical JSON can encode", text)
	}
	digits := len(text)
	if text[0] == '-' {
		digits--
	}
	c.maxDigits = max(c.maxDigits, digits)
	c.out = append(c.out, text...)
	return nil
}

// scanNumber returns the end of the JSON number at data[pos].
func scanNumber(data []byte, pos int) (int, error) {
	if data[pos] == '-' {
		pos++
	}
	if pos < len(data) && data[pos] == '0' {
		pos++
	} else if end := skipDigits(data, pos); end == pos {
		return 0, errors.New("invalid number")
	} else {
		pos = end
	}
	if pos < len(data) && data[pos] == '.' {
		end := skipDigits(data, pos+1)
		if end == pos+1 {
			return 0, errors.New("invalid number")
		}
		pos = end
	}
	if pos < len(data) && (data[pos] == 'e' || data[pos] == 'E') {
		pos++
		if pos < len(data) && (data[pos] == '+' || data[pos] == '-') {
			pos++
		}
		end := skipDigits(data, pos)
		if end == pos {
			return 0, errors.New("invalid number")
		}
		pos = end
	}
	return pos, nil
}

// skipDigits returns the offset of the first byte at or after pos that is
// not a decimal digit.
func skipDigits(data []byte, pos int) int {
	for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
		pos++
	}
	return pos
}

// isInt64 reports whether text, a JSON number, is written as an integer
// (no fraction, no exponent) that fits in an int64.
func isInt64(text []byte) bool {
	neg := len(text) > 0 && text[0] == '-'
	digits := text
	if neg {
		digits = text[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return false
	}
	var n uint64
	for _, d := range digits {
		if d < '0' || d > '9' {
			return false
		}
		n = n*10 + uint64(d-'0')
	}
	limit := uint64(1<<63 - 1)
	if neg {
		limit++
	}
	// 19 digits can overflow uint64 arithmetic only above 1.8e19, which
	// needs 20 digits, so n is exact here.
	return n <= limit
}

func hex4(data []byte, at int) rune {
	if at+4 > len(data) {
		return -1
	}
	var r rune
	for _, b := range data[at : at+4] {
		switch {
		case b >= '0' && b <= '9':
			b -= '0'
		case b >= 'a' && b <= 'f':
			b = b - 'a' + 10
		case b >= 'A' && b <= 'F':
			b = b - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(b)
	}
	return r
}
