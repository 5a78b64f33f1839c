# make demo: the ceremony demo (needs only Go).
# make test: the whole suite; installs what it needs (apt, npm) first.
.PHONY: demo test bench

demo:
	go run ./examples/ceremony demo -out ./out/demo

test:
	bash scripts/test.sh

bench:
	go test -run '^$$' -bench RootChain -benchmem -count 6 ./verify/ | tee bench.txt
