// Package data supplies the data that ebm's models learn from: 2-D toy
// distributions, loaders for CSV and IDX (MNIST) files, small real data sets
// embedded in the binary, and the preprocessing that goes with them
// (binarization, standardization, splits, shuffled mini-batches).
//
// # Toy distributions
//
// [Toy] draws n points from one of the 2-D distributions used throughout the
// energy-based-model and normalizing-flow literature, with the parameters of
// FFJORD's lib/toy_data.py (Grathwohl et al. 2019), which most papers reuse
// (25gaussians follows WGAN-GP, Gulrajani et al. 2017, as FFJORD has no such
// set). [ToyNames] lists them. Each distribution's exact definition is in the
// doc comment of its generator ([EightGaussians], [Checkerboard], ...). One
// deliberate difference from the Python code: every row is an independent draw.
// Where FFJORD (through scikit-learn) puts angles on an even grid, or fixes how
// many points each component gets, and then shuffles, these generators draw each
// point's component and angle at random. The distribution is the same as
// FFJORD's in the limit of large batches, but small batches are not degenerate
// and rows are i.i.d., as held-out likelihoods and MMD assume.
//
// [EightGaussiansLogPDF] and [EightGaussiansEntropy] give the exact density and
// entropy of the 8gaussians data: the entropy is the best NLL a model can reach.
//
// # Files
//
// [LoadCSV] and [ReadCSV] read numeric CSV (optionally gzip-compressed, detected
// from the magic bytes) into a [Dataset], with an optional integer label column.
// Every problem in the file is reported as a [*ParseError] that names the file,
// the line and the column. [ReadIDX], [LoadMNISTImages] and [LoadIDXLabels] read
// the IDX format of MNIST and Fashion-MNIST and check the declared sizes against
// the data exactly.
//
// # Streaming rows
//
// [OpenRows] streams the rows of a CSV, NumPy .npy, IDX or Parquet file in
// batches ([RowReader]), so memory stays bounded however long the input;
// every value is checked (finite, the right width) and errors name the file
// and the line or row. [CreateRows] writes rows of named columns as CSV, JSON
// lines, Parquet or .npy through a temporary file renamed into place on
// Commit ([RowWriter]), so an output appears whole or not at all.
//
// Parquet lives in package [github.com/ebm-go/ebm/data/parquet], which
// registers itself with [RegisterRowFormat] when imported: its dependencies
// (the Parquet encoders and compressors) are linked only into the programs
// that import it. Without it, a Parquet input or output is an error that
// names the package to import.
//
// # Embedded data
//
// [Digits], [DigitsBinary], [Iris], [Wine] and [BreastCancer] return small UCI
// data sets, as redistributed by scikit-learn (BSD-3-Clause), compiled into the
// package; embedded/NOTICE states their origin and licence. MNIST is not
// embedded: load it from a path.
//
// # Randomness
//
// Every function that draws random numbers takes an explicit *rand.Rand
// (math/rand/v2); the same seed gives the same numbers.
package data
