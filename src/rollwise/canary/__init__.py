"""canary-deploy: phased traffic shifting with k6 warm-up, gate analyses, and automatic promote or rollback."""
