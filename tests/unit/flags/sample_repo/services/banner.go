package services

import (
	"context"

	"github.com/open-feature/go-sdk/openfeature"
)

func ShowBanner(ctx context.Context, client *openfeature.Client) bool {
	show, _ := client.BooleanValue(ctx, "old-banner", false, openfeature.EvaluationContext{})
	return show
}
