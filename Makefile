# Thin aliases for tasks.py, which needs nothing but Python 3.11.
.PHONY: run test bench
run:
	python3 tasks.py run
test:
	python3 tasks.py test
bench:
	python3 tasks.py bench
