package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"

	"github.com/ebm-go/ebm/crf"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newCRFCmd) }

func newCRFCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "crf",
		Short: "Sequence labelling with linear-chain CRFs and structured SVMs",
		Long: `Label tokens (POS tags, chunks, entities) with a linear-chain CRF, p(y|x) ∝ exp(−E(x,y)), or a
structured SVM. CoNLL files: one token per line, space- or tab-separated columns, the label last,
a blank line between sentences; runs of blank lines and -DOCSTART- lines separate sentences.`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(newCRFTrainCmd(), newCRFApplyCmd(false), newCRFApplyCmd(true), newCRFBaselineCmd())
	return c
}

// crfRead reads a CoNLL file; every failure is an input error (exit 2).
func crfRead(flag, path string, labelled bool) ([]crf.Sentence, error) {
	return crfReadFrom(flag, path, labelled, nil)
}

// crfReadFrom is crfRead that reads stdin when path is "-" and stdin is not
// nil.
func crfReadFrom(flag, path string, labelled bool, stdin io.Reader) ([]crf.Sentence, error) {
	if path == "" {
		return nil, cli.Usagef("--%s is required", flag)
	}
	if path == "-" && stdin != nil {
		s, err := crf.ReadCoNLL(stdin, "standard input", labelled)
		return s, cli.Input(err)
	}
	s, err := crf.ReadCoNLLFile(path, labelled)
	return s, cli.Input(err)
}

func newCRFTrainCmd() *cobra.Command {
	var (
		data, test, out, algo  string
		edge                   string
		affix, window, minc    int
		edgeMin                int
		seed                   uint64
		asJSON, quiet, bigrams bool
		force, allPairs        bool
	)
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a CRF or structured SVM on a labelled CoNLL file",
		Long: `Train a CRF or structured SVM on a labelled CoNLL file. A label sequence y scores
  score(x, y) = Σ_t Σ_{a ∈ A(t)} w[a, y_t] + Σ_{t>1} (trans[y_{t−1}, y_t] + Σ_{a ∈ Edge(t)} v[a, y_{t−1}, y_t]) + start + end,
with state attributes A(t) set by --affix, --window, --bigrams (and shape and flags), and edge
attributes Edge(t) set by --edge (none by default): with --edge l, each lower-cased word gets its own
transition weights for the label pairs seen around it in training. Only the attribute-label pairs
and edge-attribute-label-pair triples seen in training are weights.`,
		Example: `  ebm crf train --data train.conll --test test.conll --algo ssvm:epochs=20 --out out/ssvm`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opt, err := crf.ParseAlgorithm("--algo", algo)
			if err != nil {
				return err
			} else if out == "" {
				return cli.Usagef("--out is required")
			}
			inputs := []string{data}
			if test != "" {
				inputs = append(inputs, test)
			}
			od, err := cli.NewOutDir(out, force, inputs...) // the output rule, before any work
			if err != nil {
				return err
			}
			defer od.Abort()
			sents, err := crfRead("data", data, true)
			if err != nil {
				return err
			}
			var testSents []crf.Sentence
			if test != "" {
				if testSents, err = crfRead("test", test, false); err != nil {
					return err
				}
			}
			bar := cli.NewProgress(max(opt.MaxIter, opt.Epochs), "crf "+opt.Algorithm, quiet || asJSON)
			opt.Seed, opt.Progress = seed, func(int, int, float64) { bar.Add(1) }
			bo := crf.BuildOptions{Templates: crf.Templates{Affix: affix, Window: window, Shape: true, Flags: true, Bigrams: bigrams, Edge: edge},
				MinCount: minc, EdgeMinCount: edgeMin, AllPairs: allPairs}
			m, res, err := crf.Fit(c.Context(), sents, bo, opt)
			bar.Done()
			if err != nil {
				return err
			}
			var ev *crf.Evaluation
			if testSents != nil {
				if err := m.SplitInput(testSents, test, true); err != nil {
					return cli.Input(err)
				} else if ev, err = crf.EvaluateModel(m, testSents); err != nil {
					return err
				}
			}
			r := crf.NewTrainReport(m, algo, bo, res, ev, data, test)
			if err := m.SaveWithReport(od.Tmp, seed, r); err != nil {
				return err
			} else if err := od.Commit(); err != nil {
				return err
			} else if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), r)
			}
			return r.WriteText(c.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringVar(&data, "data", "", "labelled CoNLL training file")
	f.StringVar(&test, "test", "", "labelled CoNLL file to evaluate on after training")
	f.StringVar(&out, "out", "", "model folder to write")
	f.BoolVar(&force, "force", false, "replace --out if ebm wrote it")
	f.StringVar(&algo, "algo", "lbfgs", "algorithm and settings: lbfgs:c2=0.3,maxiter=200 | owlqn:c1=1 | sgd:epochs=10,lr=0.05 | perceptron:epochs=10 | ssvm:epochs=10,c2=1")
	f.IntVar(&affix, "affix", 3, "longest prefix and suffix attribute")
	f.IntVar(&window, "window", 1, "neighbouring words as attributes, ±window")
	f.IntVar(&minc, "min-count", 1, "drop attributes seen on fewer tokens")
	f.BoolVar(&bigrams, "bigrams", false, "word bigrams with the neighbours as attributes")
	f.BoolVar(&allPairs, "all-pairs", false, "pair every attribute with every label (as CRFsuite's possible_states), not only the pairs seen in training")
	f.StringVar(&edge, "edge", "", "edge attributes conditioning the transition y[t-1]→y[t], comma-separated: l (lower-cased word), w-1 (previous word), s1…s8 (suffix), sh (shape), c1…c8 (input column); empty: none")
	f.IntVar(&edgeMin, "edge-min-count", 1, "drop edge features (edge attribute, label pair) seen fewer times")
	f.Uint64Var(&seed, "seed", 1, "seed of the online learners' visiting order")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	f.BoolVar(&quiet, "quiet", false, "no progress report")
	return c
}

// newCRFApplyCmd makes "tag" (eval false) or "eval" (eval true).
func newCRFApplyCmd(eval bool) *cobra.Command {
	var (
		dir, data, out    string
		asJSON, marginals bool
	)
	c := &cobra.Command{Use: "tag", Args: rbmNoArgs,
		Short: "Label a CoNLL file with a model: input columns, then the predicted label (a gold column is dropped)"}
	if eval {
		c.Use, c.Short = "eval", "Score a model on a labelled CoNLL file: accuracy, per-label and conlleval chunk P/R/F1"
		c.Long = c.Short + ".\nGold labels unknown to the model count as errors and are listed on stderr."
	}
	c.RunE = func(c *cobra.Command, _ []string) error {
		if dir == "" {
			return cli.Usagef("--model is required")
		}
		m, err := crf.Load(dir)
		if err != nil {
			return cli.Input(err)
		}
		sents, err := crfReadFrom("data", data, false, c.InOrStdin())
		name := data
		if data == "-" {
			name = "standard input"
		}
		if err != nil {
			return err
		} else if err := m.SplitInput(sents, name, eval); err != nil {
			return cli.Input(err)
		}
		if !eval {
			var buf bytes.Buffer
			if marginals {
				pred, marg, _ := m.TagMarginals(sents)
				err = crf.WriteCoNLLMarginals(&buf, sents, pred, marg)
			} else {
				err = crf.WriteCoNLL(&buf, sents, m.Tag(sents))
			}
			if err != nil {
				return err
			} else if out != "" {
				return cli.WriteFileAtomic(out, buf.Bytes())
			}
			_, err = c.OutOrStdout().Write(buf.Bytes())
			return err
		}
		if u := m.UnknownLabels(sents); len(u) > 0 {
			fmt.Fprintf(os.Stderr, "ebm: %s: gold labels unknown to the model (counted as errors): %v\n", name, u)
		}
		ev, err := crf.EvaluateModel(m, sents)
		if err != nil {
			return err
		} else if asJSON {
			return cli.WriteJSON(c.OutOrStdout(), ev)
		}
		return ev.WriteText(c.OutOrStdout())
	}
	c.Flags().StringVar(&dir, "model", "", "model folder")
	c.Flags().StringVar(&data, "data", "", "CoNLL file (- for standard input)")
	if eval {
		c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	} else {
		c.Flags().StringVar(&out, "out", "", "output file, written whole or not at all (default stdout)")
		c.Flags().BoolVar(&marginals, "marginals", false, "one more column: each label's marginal probability p(y_t = label | sentence)")
	}
	return c
}

func newCRFBaselineCmd() *cobra.Command {
	var data, test string
	var asJSON bool
	c := &cobra.Command{
		Use:   "baseline",
		Short: "Most-frequent-tag and first-order HMM token accuracy",
		Args:  rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			train, err := crfRead("data", data, true)
			ts, err2 := crfRead("test", test, true)
			if err = cmp.Or(err, err2); err != nil {
				return err
			}
			r, err := crf.RunBaselines(train, ts)
			if err != nil {
				return err
			} else if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), r)
			}
			_, err = fmt.Fprintf(c.OutOrStdout(), "most frequent tag: accuracy %.4f\nfirst-order HMM:   accuracy %.4f\n", r.MostFrequent, r.HMM)
			return err
		},
	}
	c.Flags().StringVar(&data, "data", "", "labelled CoNLL training file")
	c.Flags().StringVar(&test, "test", "", "labelled CoNLL test file")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}
