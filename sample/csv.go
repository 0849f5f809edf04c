package sample

import (
	"bufio"
	"io"
	"strconv"
)

// WriteCSV writes the kept draws of r as CSV: a header "chain,x0,x1,…", then
// one row per draw, chain by chain and in order within each chain, with the
// chain index and the coordinates in the shortest form that reads back to the
// same float64 ('g', -1).
func (r *Result) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	buf := []byte("chain")
	for j := 0; j < r.Dim; j++ {
		buf = strconv.AppendInt(append(buf, ",x"...), int64(j), 10)
	}
	buf = append(buf, '\n')
	for c := 0; c < r.Chains; c++ {
		for t := 0; t < r.Kept; t++ {
			buf = strconv.AppendInt(buf, int64(c), 10)
			for _, v := range r.Draw(c, t) {
				buf = strconv.AppendFloat(append(buf, ','), v, 'g', -1, 64)
			}
			if _, err := bw.Write(append(buf, '\n')); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 { // a run with no draws: the header alone
		bw.Write(buf)
	}
	return bw.Flush()
}
