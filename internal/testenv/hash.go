package testenv

import "shegong/internal/auth"

func hashPassword(pw string) (string, error) { return auth.HashPassword(pw) }
