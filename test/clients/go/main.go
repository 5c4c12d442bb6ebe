// What a participant's Go program amounts to: a franz-go client with the settings a lab protocol
// asks for. Prints one JSON line per event (settings, assignment, error) for test/clients/run.ts.
package main

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/twmb/franz-go/pkg/kgo"
)

var out sync.Mutex

func emit(event string, fields map[string]any) {
	fields["event"] = event
	b, _ := json.Marshal(fields)
	out.Lock()
	defer out.Unlock()
	os.Stdout.Write(append(b, '\n'))
}

// errorLogger passes the client's own error and warning lines on: franz-go retries a refused join
// by itself and reports why only in its log.
type errorLogger struct{}

func (errorLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }
func (errorLogger) Log(level kgo.LogLevel, msg string, kv ...any) {
	parts := []string{msg}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "err" {
			if err, ok := kv[i+1].(error); ok {
				parts = append(parts, err.Error())
			}
		}
	}
	emit("error", map[string]any{"message": strings.Join(parts, ": ")})
}

func main() {
	balancers := map[string]kgo.GroupBalancer{
		"range":              kgo.RangeBalancer(),
		"roundrobin":         kgo.RoundRobinBalancer(),
		"cooperative-sticky": kgo.CooperativeStickyBalancer(),
	}
	names := map[string]string{"range": "RangeBalancer", "roundrobin": "RoundRobinBalancer", "cooperative-sticky": "CooperativeStickyBalancer"}
	var shown []string
	var mu sync.Mutex
	owned := map[int32]bool{}
	report := func() {
		ps := []int32{}
		for p := range owned {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		emit("assigned", map[string]any{"partitions": ps})
	}
	change := func(add bool) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			mu.Lock()
			defer mu.Unlock()
			for _, ps := range m {
				for _, p := range ps {
					if add {
						owned[p] = true
					} else {
						delete(owned, p)
					}
				}
			}
			report()
		}
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(os.Getenv("CL_BOOTSTRAP")),
		kgo.ClientID(os.Getenv("CL_CLIENT_ID")),
		kgo.ConsumerGroup(os.Getenv("CL_GROUP")),
		kgo.ConsumeTopics(os.Getenv("CL_TOPIC")),
		kgo.WithLogger(errorLogger{}),
		kgo.OnPartitionsAssigned(change(true)),
		kgo.OnPartitionsRevoked(change(false)),
		kgo.OnPartitionsLost(change(false)),
	}
	if os.Getenv("CL_PROTOCOL") == "consumer" {
		opts = append(opts, kgo.ServerSideBalancer())
		shown = append(shown, "kgo.ServerSideBalancer()")
	}
	if a := os.Getenv("CL_ASSIGNOR"); a != "" {
		opts = append(opts, kgo.Balancers(balancers[a]))
		shown = append(shown, "kgo.Balancers(kgo."+names[a]+"())")
	}
	if id := os.Getenv("CL_INSTANCE_ID"); id != "" {
		opts = append(opts, kgo.InstanceID(id))
		shown = append(shown, "kgo.InstanceID(<unique per participant>)")
	}
	settings := strings.Join(shown, ", ")
	if settings == "" {
		settings = "(defaults)"
	}
	emit("settings", map[string]any{"settings": settings})
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		emit("error", map[string]any{"message": err.Error()})
		os.Exit(1)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(_ string, _ int32, err error) {
			if ctx.Err() == nil {
				emit("error", map[string]any{"message": err.Error()})
			}
		})
	}
	cl.Close()
}
