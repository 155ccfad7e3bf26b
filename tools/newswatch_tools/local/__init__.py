"""The embedded local stack: moto server, the template's resources, pollers driving the handlers."""
