"""Who may do what: the policy table (pure) and the roles an actor holds (database)."""
