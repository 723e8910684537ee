"""Public-affairs and financial disclosure (居务公开、财务公开): issue 6."""
