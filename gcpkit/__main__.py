from gcpkit.cli.main import run

run()
