package crf

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ebm-go/ebm/spec"
)

// Templates selects the attributes extracted for each token t of a sentence.
// Column 0 is the word w; other input columns (for example a POS column in
// chunking data) give attributes "c<k>=value" for the token and, with
// Window ≥ 1, for its neighbours. The attributes of token t are:
//
//	b                          a bias, always on
//	w=<w>  l=<lower(w)>        the word and its lower-cased form
//	p<k>=, s<k>=               prefixes and suffixes of lower(w), k = 1…Affix
//	sh=<shape>                 shape: X, x, d for upper, lower, digit, other runes kept,
//	                           runs collapsed ("McDonald's" → "XxXx'x")
//	cap, allcap, dig, alldig,  flags: first rune upper, all letters upper, any digit,
//	punct, hyph                all digits, no letter or digit, contains '-'
//	w-<d>=, w+<d>=             lower-cased words at distance d = 1…Window
//	                           ("<s>" and "</s>" beyond the ends)
//	w-1|w=, w|w+1=             word bigrams with the neighbours (when Bigrams)
//
// Edge lists the edge attributes of token t ≥ 2 (1-based), which condition
// the transition from y_{t−1} to y_t (see EdgeAttributes); empty means none.
type Templates struct {
	Affix   int    `json:"affix"`
	Window  int    `json:"window"`
	Shape   bool   `json:"shape"`
	Flags   bool   `json:"flags"`
	Bigrams bool   `json:"bigrams"`
	Edge    string `json:"edge,omitempty"`
}

// DefaultTemplates returns the templates used unless others are given:
// affixes up to 3, a window of ±1 word, shape and flags, no bigrams.
func DefaultTemplates() Templates {
	return Templates{Affix: 3, Window: 1, Shape: true, Flags: true}
}

// Validate reports templates out of range (as a *spec.Error).
func (tp Templates) Validate() error {
	if tp.Affix < 0 || tp.Affix > 8 {
		return spec.Errorf("templates", "affix length %d out of [0, 8]", tp.Affix)
	}
	if tp.Window < 0 || tp.Window > 4 {
		return spec.Errorf("templates", "window %d out of [0, 4]", tp.Window)
	}
	_, err := parseEdge(tp.Edge)
	return err
}

// edgeTemplate is one edge attribute template: kind 'l' (lower-cased word),
// 'p' (lower-cased previous word), 's' (suffix of length k), 'h' (shape) or
// 'c' (input column k).
type edgeTemplate struct {
	kind byte
	k    int
}

// parseEdge reads a comma-separated list of edge templates (see
// EdgeAttributes).
func parseEdge(s string) ([]edgeTemplate, error) {
	if s == "" {
		return nil, nil
	}
	var out []edgeTemplate
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if seen[f] {
			return nil, spec.Errorf("templates", "edge template %q repeated", f)
		}
		seen[f] = true
		var e edgeTemplate
		switch {
		case f == "l":
			e.kind = 'l'
		case f == "w-1":
			e.kind = 'p'
		case f == "sh":
			e.kind = 'h'
		case len(f) > 1 && (f[0] == 's' || f[0] == 'c'):
			k, err := strconv.Atoi(f[1:])
			if err != nil || k < 1 || k > 8 {
				return nil, spec.Errorf("templates", "edge template %q: want %c1 … %c8", f, f[0], f[0])
			}
			e.kind, e.k = f[0], k
		default:
			return nil, spec.Errorf("templates", "unknown edge template %q (valid: l, w-1, s1…s8, sh, c1…c8)", f)
		}
		out = append(out, e)
	}
	return out, nil
}

// EdgeAttributes calls emit with each edge attribute of token t (t ≥ 1,
// 0-based) for the edge templates of tp.Edge, a comma-separated list of
//
//	l      "l=<lower(w_t)>"       the lower-cased word
//	w-1    "w-1=<lower(w_{t−1})>" the lower-cased previous word
//	s<k>   "s<k>=<suffix>"        the suffix of length k of lower(w_t) (if the word is that long)
//	sh     "sh=<shape>"           the shape of w_t (as for the state attributes)
//	c<k>   "c<k>=<value>"         input column k of token t (if present)
//
// The transition score from y_{t−1} = i to y_t = j is then
// trans(i, j) + Σ_a v[a, i, j] over these attributes a (see the package
// comment). buf and emit are as for Attributes. Invalid templates emit nothing
// (Validate reports them).
func (tp Templates) EdgeAttributes(toks [][]string, t int, buf []byte, emit func([]byte)) []byte {
	ets, err := parseEdge(tp.Edge)
	if err != nil || t < 1 {
		return buf
	}
	return appendEdge(ets, toks, t, buf, emit)
}

func appendEdge(ets []edgeTemplate, toks [][]string, t int, buf []byte, emit func([]byte)) []byte {
	w := toks[t][0]
	for _, e := range ets {
		buf = buf[:0]
		switch e.kind {
		case 'l':
			buf = append(append(buf, "l="...), strings.ToLower(w)...)
		case 'p':
			buf = append(append(buf, "w-1="...), strings.ToLower(toks[t-1][0])...)
		case 'h':
			buf = appendShape(append(buf, "sh="...), w)
		case 's':
			lw := strings.ToLower(w)
			if utf8.RuneCountInString(lw) < e.k {
				continue
			}
			buf = append(append(buf, 's', byte('0'+e.k), '='), runeSuffix(lw, e.k)...)
		case 'c':
			if e.k >= len(toks[t]) {
				continue
			}
			buf = append(append(buf, 'c', byte('0'+e.k), '='), toks[t][e.k]...)
		}
		emit(buf)
	}
	return buf
}

// Attributes calls emit with each attribute of token t of the sentence whose
// input columns are toks. buf is scratch space, returned grown, so that a
// caller can extract attributes without allocating a string per attribute
// (emit receives a byte slice valid only during the call).
func (tp Templates) Attributes(toks [][]string, t int, buf []byte, emit func([]byte)) []byte {
	put := func(parts ...string) {
		buf = buf[:0]
		for _, p := range parts {
			buf = append(buf, p...)
		}
		emit(buf)
	}
	w := toks[t][0]
	lw := strings.ToLower(w)
	put("b")
	put("w=", w)
	put("l=", lw)
	if tp.Affix > 0 {
		n := utf8.RuneCountInString(lw)
		for k := 1; k <= tp.Affix && k <= n; k++ {
			put("p", strconv.Itoa(k), "=", runePrefix(lw, k))
			put("s", strconv.Itoa(k), "=", runeSuffix(lw, k))
		}
	}
	if tp.Shape {
		buf = append(buf[:0], "sh="...)
		buf = appendShape(buf, w)
		emit(buf)
	}
	if tp.Flags {
		var up, low, dig, other, letters int
		for _, r := range w {
			switch {
			case unicode.IsUpper(r):
				up++
				letters++
			case unicode.IsLetter(r):
				low++
				letters++
			case unicode.IsDigit(r):
				dig++
			default:
				other++
			}
		}
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) {
			put("cap")
		}
		if letters > 0 && low == 0 {
			put("allcap")
		}
		if dig > 0 {
			put("dig")
			if dig == utf8.RuneCountInString(w) {
				put("alldig")
			}
		}
		if letters == 0 && dig == 0 {
			put("punct")
		}
		if strings.Contains(w, "-") {
			put("hyph")
		}
	}
	for d := 1; d <= tp.Window; d++ {
		ds := strconv.Itoa(d)
		if t-d >= 0 {
			put("w-", ds, "=", strings.ToLower(toks[t-d][0]))
		} else {
			put("w-", ds, "=<s>")
		}
		if t+d < len(toks) {
			put("w+", ds, "=", strings.ToLower(toks[t+d][0]))
		} else {
			put("w+", ds, "=</s>")
		}
	}
	if tp.Bigrams {
		if t > 0 {
			put("w-1|w=", strings.ToLower(toks[t-1][0]), "|", lw)
		}
		if t+1 < len(toks) {
			put("w|w+1=", lw, "|", strings.ToLower(toks[t+1][0]))
		}
	}
	for k := 1; k < len(toks[t]); k++ {
		ks := strconv.Itoa(k)
		put("c", ks, "=", toks[t][k])
		for d := 1; d <= tp.Window; d++ {
			ds := strconv.Itoa(d)
			if t-d >= 0 {
				put("c", ks, "-", ds, "=", toks[t-d][k])
			}
			if t+d < len(toks) {
				put("c", ks, "+", ds, "=", toks[t+d][k])
			}
		}
	}
	return buf
}

func runePrefix(s string, k int) string {
	i := 0
	for n := 0; n < k; n++ {
		_, sz := utf8.DecodeRuneInString(s[i:])
		i += sz
	}
	return s[:i]
}

func runeSuffix(s string, k int) string {
	i := len(s)
	for n := 0; n < k; n++ {
		_, sz := utf8.DecodeLastRuneInString(s[:i])
		i -= sz
	}
	return s[i:]
}

// appendShape appends the collapsed shape of w: upper → X, lower → x,
// digit → d, other runes kept, runs of one class collapsed to one.
func appendShape(buf []byte, w string) []byte {
	var last rune = -1
	for _, r := range w {
		switch {
		case unicode.IsUpper(r):
			r = 'X'
		case unicode.IsLetter(r):
			r = 'x'
		case unicode.IsDigit(r):
			r = 'd'
		}
		if r != last {
			buf = utf8.AppendRune(buf, r)
			last = r
		}
	}
	return buf
}
