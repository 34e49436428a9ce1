"""Dashboard accounts: who may sign in, with which role, and how failed sign-ins are limited."""
