"""The embedded local stack: moto server, the template's resources, and pollers driving the handlers."""
