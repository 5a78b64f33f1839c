# make demo: the ceremony demo (needs only Go).
# make test: the whole suite; installs what it needs (apt, npm) first.
# make bench: the speed benchmarks in interleaved passes (BENCH_PASSES,
#   default 6) into bench.txt, then every ratio the README quotes.
.PHONY: demo test bench

demo:
	go run ./examples/ceremony demo -out ./out/demo

test:
	bash scripts/test.sh

BENCH_PASSES ?= 6

bench:
	go test -c -o bench.test ./verify/
	: > bench.txt
	for i in $$(seq $(BENCH_PASSES)); do \
		./bench.test -test.run '^$$' -test.bench 'RootChain|RootSingle|FirstWalk|Refresh' -test.benchmem | tee -a bench.txt || exit 1; \
	done
	rm -f bench.test
	cd tools && go run ./benchratio ../bench.txt
