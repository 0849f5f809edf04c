// Package crf implements linear-chain conditional random fields and structured
// SVMs for sequence labelling (part-of-speech tags, chunks, named entities).
//
// A model scores a label sequence y = (y_1 … y_T) for tokens x with the
// energy
//
//	E(x, y) = −score(x, y),
//	score(x, y) = start[y_1] + Σ_t Σ_{a ∈ A(x,t)} w[a, y_t]
//	            + Σ_{t>1} (trans[y_{t−1}, y_t] + Σ_{a ∈ Edge(x,t)} v[a, y_{t−1}, y_t]) + end[y_T],
//
// where A(x, t) is the set of sparse attributes of token t (the word, its
// lower-cased form, prefixes and suffixes, shape, flags, neighbouring words;
// see Templates) and Edge(x, t) the set of its edge attributes (none unless
// Templates.Edge names some, for example the lower-cased word): the edge
// weights v make the transition score depend on the input. Both are sparse:
// w[a, y] exists only for the attribute-label pairs seen in training, and
// v[a, i, j] only for the triples of an edge attribute and a label pair
// (y_{t−1}, y_t) = (i, j) seen in training (at least BuildOptions.EdgeMinCount
// times); the others are zero. The CRF is the Gibbs distribution
// p(y | x) = exp(−E(x, y)) / Z(x); log Z, the per-token marginals and the most
// likely sequence (Viterbi) are exact, by dynamic programming in log space
// (float64), in O(T·L²) for L labels, plus O(1) per active edge feature.
//
// Training (see Train and ParseAlgorithm):
//   - lbfgs: maximum likelihood with an L2 penalty by L-BFGS (gonum's optimize);
//   - owlqn: maximum likelihood with L1 (and optional L2) by OWL-QN;
//   - sgd: stochastic gradient on the likelihood with a learning-rate
//     schedule, run by the shared trainer (train.Loop, optim.SGD);
//   - perceptron: the averaged structured perceptron;
//   - ssvm: a structured SVM (margin rescaled by the Hamming loss,
//     cost-augmented Viterbi) trained by averaged stochastic subgradient.
//
// The likelihood gradient is computed on several cores over fixed shards of
// sequences and summed in a fixed order, so the same seed gives the same
// numbers for any number of cores.
//
// Data are read from CoNLL-style files (ReadCoNLL) and scored with token
// accuracy, per-label precision/recall/F1 and conlleval-style chunk F1
// (Evaluate). TagMarginals gives each predicted label its marginal probability
// p(y_t = ŷ_t | x), and EvaluateModel compares those with the accuracy (mean
// marginal and expected calibration error): a CRF trained by likelihood learns
// them as probabilities, the perceptron and the structured SVM do not.
//
// Models are saved as model folders of kind "crf" and load through model.Load
// once this package is linked.
package crf
