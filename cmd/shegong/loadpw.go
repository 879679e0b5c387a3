package main

import "shegong/internal/gen"

// defaultLoadPassword is the password of the generated accounts.
const defaultLoadPassword = gen.Password
