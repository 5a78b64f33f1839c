// Package root builds, parses, edits, rotates and signs TUF root metadata.
package root
