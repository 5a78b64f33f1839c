package pivsim

// tlv encodes a BER-TLV with a one-byte tag and a DER-minimal length.
func tlv(tag byte, v []byte) []byte {
	return append(append([]byte{tag}, tlvLen(len(v))...), v...)
}

// tlv2 encodes a BER-TLV with a two-byte tag such as 7F49.
func tlv2(tag uint16, v []byte) []byte {
	return append(append([]byte{byte(tag >> 8), byte(tag)}, tlvLen(len(v))...), v...)
}

func tlvLen(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n <= 0xff:
		return []byte{0x81, byte(n)}
	}
	return []byte{0x82, byte(n >> 8), byte(n)}
}

// findTag returns the value of the first top-level TLV in data with the
// one-byte tag, and whether it was found. Malformed data gives false.
func findTag(data []byte, tag byte) ([]byte, bool) {
	for len(data) > 0 {
		t := data[0]
		i := 1
		if t&0x1f == 0x1f { // multi-byte tag
			for i < len(data) && data[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if i >= len(data) {
			return nil, false
		}
		n := int(data[i])
		i++
		if n&0x80 != 0 {
			k := n & 0x7f
			if k == 0 || k > 2 || i+k > len(data) {
				return nil, false
			}
			n = 0
			for _, b := range data[i : i+k] {
				n = n<<8 | int(b)
			}
			i += k
		}
		if i+n > len(data) {
			return nil, false
		}
		if t == tag && (t&0x1f != 0x1f) {
			return data[i : i+n], true
		}
		data = data[i+n:]
	}
	return nil, false
}
