"""Drop-ins for SciPy modules whose functions NumPy cannot hand to fwdrev
(Python-level code such as scipy.special.logsumexp or scipy.stats.norm):
`import modes.scipy.special`, `.stats`, `.signal`, `.linalg`, `.integrate`,
as autograd.scipy and jax.scipy. SciPy's ufuncs (erf, gammaln, ...) need no
drop-in: they reach the registry through __array_ufunc__."""
