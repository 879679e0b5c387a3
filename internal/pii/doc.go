// Package pii provides helpers for handling personal data such as mainland
// Chinese resident ID numbers and phone numbers.
//
// It covers four concerns that the client register, volunteer and staff
// modules share:
//
//   - Normalization: turning user input (surrounding spaces, full-width
//     digits, "+86" prefixes, dashes) into one canonical form that is stored
//     and compared. See [NormalizeIDNumber] and [NormalizePhone].
//   - Validation: checking that a value is well formed, with error messages
//     in Simplified Chinese that can be shown to users directly. See
//     [ValidateIDNumber], [ValidateMobile] and [ValidatePhone].
//   - Masking: producing a partially hidden form for display in lists,
//     exports and logs. See [MaskIDNumber], [MaskPhone], [MaskName] and
//     [MaskAddress]. Masking functions accept any input and never panic.
//   - Protection at rest: encrypting values before they are written to the
//     database and computing blind indexes so that encrypted values can still
//     be looked up by exact match. See [Cipher], [LoadOrCreateKey] and
//     [KeyFromString].
//
// The master key must be kept outside the database, either in a key file
// with restrictive permissions or in the process configuration.
package pii
