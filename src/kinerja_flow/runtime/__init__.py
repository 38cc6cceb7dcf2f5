"""What every service runs with: the application context, the service base, DI providers."""
