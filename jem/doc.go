// Package jem builds joint energy-based classifiers (JEM, Grathwohl et al.
// 2020, "Your classifier is secretly an energy based model"): a network with
// K outputs f(x) read as an energy-based model of inputs and labels,
//
//	p(x, y) ∝ exp(f(x)[y]),  E(x, y) = −f(x)[y],  E(x) = −logsumexp_y f(x)[y],
//	p(y | x) = softmax(f(x))[y]  (the normalizer Z cancels),
//
// so one network classifies (p(y | x)), scores inputs (log p(x) = −E(x) − log Z)
// and generates (Langevin dynamics on E(x) or, class-conditionally, on E(x, y)).
//
// exp(−E(x)) need not be normalizable on all of R^d: far from the data the
// logits of an MLP grow linearly, so E(x) can fall without bound. Sampling
// therefore runs inside a box (the data's range: [0, 1] for images), as JEM
// does; a sampler run on the unconstrained energy drifts away.
//
// # Training
//
// Hybrid is the objective, on labelled batches (x⁺, y⁺):
//
//	L = −mean log p(y⁺ | x⁺) + w·(mean E(x⁺) − mean E(x⁻) + α·mean(E(x⁺)² + E(x⁻)²)),
//
// the cross-entropy plus w times the stochastic maximum-likelihood loss of
// log p(x) (its parameter gradient is E_data[∇θE] − E_model[∇θE] when the
// negatives x⁻ follow the model) with the IGEBM energy regularizer. The
// negatives come from Replay, a buffer of past negatives with one label each:
// every draw re-initializes a fraction of the entries (uniform noise in the
// data's box, or a draw of the per-class Gaussians N(μ_y, Σ_y) fitted to the
// data, which later work found steadier), then moves them by a Sampler:
// unadjusted Langevin (ula: x ← x − η∇E + √(2η)·ξ) or the SGLD-style update of
// JEM and IGEBM (sgld: x ← x − a∇E + b·ξ, which samples the colder
// exp(−E/T), T = b²/2a). Weight 0 is the purely discriminative classifier
// with the same network, used as the baseline.
//
// Train runs the objective on train.Loop: the loop's snapshots, divergence
// rollback (learning rate halved, replay buffer re-initialized; a mean energy
// beyond Config.EnergyBound counts as a divergence, the failure that JEM
// runs are known for) and checkpoints apply unchanged.
//
// # Evaluation
//
// Score and Classify give accuracy, the negative log-likelihood of the labels,
// the expected calibration error (metric.ECE) and the bins of a reliability
// diagram (ReliabilityPNG). DetectOOD gives the AUROC of telling
// out-of-distribution inputs from in-distribution ones by three scores:
// E(x) (that is −log p(x) up to a constant), the negative maximum softmax
// probability, and the input-gradient norm ‖∇ₓ log p(x)‖. SampleClasses draws
// class-conditional samples from E(x, y) and Agreement measures how many of
// them a (separately trained) classifier assigns to the intended class.
//
// # Files
//
// Classifier.Save and Load read and write model folders of kind "jem"
// (registered with model.Register, so model.Load and energy.LoadGrad read them
// too; the loaded value is an energy.GradEnergy of E(x)). Job is the
// train–evaluate–save run of the `ebm jem train` command (its settings
// checked by CheckSettings); EvalJob and SampleJob are the runs of `ebm jem
// eval` and `ebm jem sample`, CheckFit and CheckPair their checks that data
// and a second model fit a classifier (errors as *FitError).
//
// This package imports metric, plot and data for its evaluation and files,
// as the rbm family's jobs do.
package jem
