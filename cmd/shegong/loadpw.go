package main

import "shegong/internal/demo"

// defaultLoadPassword is the password of the generated accounts.
const defaultLoadPassword = demo.Password
