package cjson

import "unicode/utf8"

// appendJSON appends the canonical value r as JSON: compact when indent is
// "", else one member or element per line, indented by indent per level,
// as encoding/json's Encoder with SetIndent("", indent) and
// SetEscapeHTML(false) writes it. Strings are escaped as encoding/json
// escapes them, so the result is valid JSON for every parser.
func appendJSON(dst []byte, r Raw, indent string) ([]byte, error) {
	p := printer{r: r, indent: indent}
	end, err := p.value(&dst, 0, 0)
	if err != nil {
		return nil, err
	}
	if end != len(r) {
		return nil, errNotCanonical
	}
	return dst, nil
}

type printer struct {
	r      Raw
	indent string
}

func (p *printer) newline(dst *[]byte, depth int) {
	*dst = append(*dst, '\n')
	for range depth {
		*dst = append(*dst, p.indent...)
	}
}

// value writes the value at p.r[pos] and returns the offset after it.
func (p *printer) value(dst *[]byte, pos, depth int) (int, error) {
	r := p.r
	if pos >= len(r) {
		return 0, errNotCanonical
	}
	switch r[pos] {
	case '"':
		end, err := skipString(r, pos)
		if err != nil {
			return 0, err
		}
		*dst = appendEscaped(*dst, r[pos+1:end-1])
		return end, nil
	case '{', '[':
		open, closing := r[pos], byte('}')
		if open == '[' {
			closing = ']'
		}
		*dst = append(*dst, open)
		pos++
		if pos < len(r) && r[pos] == closing {
			*dst = append(*dst, closing)
			return pos + 1, nil
		}
		for {
			if p.indent != "" {
				p.newline(dst, depth+1)
			}
			if open == '{' {
				if pos >= len(r) || r[pos] != '"' {
					return 0, errNotCanonical
				}
				kend, err := skipString(r, pos)
				if err != nil {
					return 0, err
				}
				*dst = appendEscaped(*dst, r[pos+1:kend-1])
				if kend >= len(r) || r[kend] != ':' {
					return 0, errNotCanonical
				}
				*dst = append(*dst, ':')
				if p.indent != "" {
					*dst = append(*dst, ' ')
				}
				pos = kend + 1
			}
			end, err := p.value(dst, pos, depth+1)
			if err != nil {
				return 0, err
			}
			if end >= len(r) {
				return 0, errNotCanonical
			}
			switch r[end] {
			case ',':
				*dst = append(*dst, ',')
				pos = end + 1
				continue
			case closing:
				if p.indent != "" {
					p.newline(dst, depth)
				}
				*dst = append(*dst, closing)
				return end + 1, nil
			}
			return 0, errNotCanonical
		}
	}
	end, err := skipValue(r, pos)
	if err != nil {
		return 0, err
	}
	*dst = append(*dst, r[pos:end]...)
	return end, nil
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends the canonical string body b (in which only `\"`
// and `\\` are escapes) as a JSON string escaped the way encoding/json
// escapes it without HTML escaping.
func appendEscaped(dst, b []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\':
			// `\"` or `\\` in canonical form: keep the escape.
			if i+1 < len(b) {
				i++
				c = b[i]
			}
			dst = append(dst, '\\', c)
		case c >= 0x20 && c < utf8.RuneSelf:
			dst = append(dst, c)
		case c < 0x20:
			switch c {
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == '\u2028' || r == '\u2029' {
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			} else {
				dst = append(dst, b[i:i+size]...)
			}
			i += size - 1
		}
	}
	return append(dst, '"')
}
