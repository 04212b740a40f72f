"""Run the simulation: python -m callrouter.simulation --rota duty_desk."""

import sys

from callrouter.simulation.cli import main

sys.exit(main())
