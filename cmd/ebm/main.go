// Command ebm trains, samples and evaluates energy-based models.
//
// Run "ebm --help" for the list of subcommands and "ebm CMD --help" for each.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ebm:", err)
	}
	os.Exit(cli.ExitCode(err))
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
