"""Where help is missing (issue 15): for every commune of the territory and every
need, how far the nearest reachable service is, and how many people live beyond a
distance. Pure core, no Flask: it may import catalogue and schema."""
