package energy

// Provider is implemented by saved models whose own method set cannot be an
// Energy, for example an RBM, whose Energy method is the joint E(v, h) of
// visible and hidden units. AsEnergy returns the energy over points that
// [LoadEnergy] and [LoadGrad] hand out for them (for an RBM, the free energy
// F(v) = −log Σₕ exp(−E(v, h))).
type Provider interface {
	AsEnergy() Energy
}

// asEnergy returns m as an Energy: m itself, or m.AsEnergy() for a Provider.
func asEnergy(m any) (Energy, bool) {
	if p, ok := m.(Provider); ok {
		e := p.AsEnergy()
		return e, e != nil
	}
	e, ok := m.(Energy)
	return e, ok
}
