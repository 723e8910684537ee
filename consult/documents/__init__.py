"""Documents (issue 5): rendering PDF/A minutes and disclosures, signing and validating them."""
