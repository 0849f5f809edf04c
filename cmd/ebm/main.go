// Command ebm trains, samples and evaluates energy-based models.
//
// Run "ebm --help" for the list of subcommands and "ebm CMD --help" for each.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/train"
	"github.com/spf13/cobra"
)

// Exit codes (docs/cli.md): 0 success, 1 runtime failure, 2 usage (bad flags,
// settings, names or input), 3 internal error (a panic), 130 interrupted.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the ebm command line args and returns the process exit code.
// Errors are printed as one line on stderr (a divergence of training gets a
// second line of advice); a panic in the command's own goroutine becomes a
// one-line "internal error" report (with the stack when the environment
// variable EBM_DEBUG is set) and exit code 3.
func execute(ctx context.Context, args []string, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "ebm: internal error: %v (please report it; set EBM_DEBUG=1 for details)\n", r)
			if os.Getenv("EBM_DEBUG") != "" {
				stderr.Write(debug.Stack())
			}
			code = cli.ExitInternal
		}
	}()
	root := newRoot()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil, errors.Is(err, cli.ErrInterrupted):
		// Success, or an interrupt whose command has said what it kept.
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "ebm: interrupted; nothing was saved")
	default:
		fmt.Fprintln(stderr, "ebm:", err)
		var div *train.DivergenceError
		if errors.As(err, &div) {
			fmt.Fprintln(stderr, "ebm: to avoid this: lower --lr, add --clip-grad, or use a smaller sampler step in --method")
		}
	}
	return cli.ExitCode(err)
}

// subcommands registers the constructors of every subcommand; each file adds its
// own in an init function.
var subcommands []func() *cobra.Command

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "ebm",
		Short: "Energy-based models: sample, train and evaluate",
		Long: `ebm works with energy-based models p(x) = exp(-E(x))/Z: low energy means likely.

It samples energies with MCMC (Metropolis-Hastings, Langevin, MALA, HMC, annealed
Langevin), trains neural energies, Boltzmann machines and Ising models, and
evaluates them (grid likelihood, MMD, KSD, R-hat, ESS).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cli.UsageError{Err: fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	for _, f := range subcommands {
		c := f()
		c.SetFlagErrorFunc(root.FlagErrorFunc())
		root.AddCommand(c)
	}
	root.Args = cobra.ArbitraryArgs
	root.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return cli.Usagef("unknown command %q (see ebm --help)", args[0])
		}
		return c.Help()
	}
	return root
}
