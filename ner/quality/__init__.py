"""Making data and models better: the critic (annotation errors), selection (what to label next),
learning curves (whether more data helps) and annotator agreement. Each lives in its own module;
this package re-exports nothing, so importing one loads none of the others."""
