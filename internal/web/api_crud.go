package web

import (
	"context"
	"net/http"
	"net/url"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// The JSON API's list, create and update answers share one shape across
// business areas: parse, call the service, read the record back, answer.

// apiList answers GET …: the area's filter from the query string, one page
// of the service's list as {items, total, page, size}.
func apiList[F, T any](s *Server, w http.ResponseWriter, r *http.Request, parse func(url.Values) (F, error),
	list func(context.Context, *authz.Principal, F, app.ListQuery) ([]T, int, error)) {
	f, err := parse(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := list(r.Context(), principalOf(r), f, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newGAList(rows, total, q))
}

// apiCreate answers POST …: the JSON body, the service's create, then the
// new record as 201.
func apiCreate[In, Out any](s *Server, w http.ResponseWriter, r *http.Request,
	create func(context.Context, *authz.Principal, In) (int64, error),
	get func(context.Context, *authz.Principal, int64) (Out, error)) {
	var in In
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	id, err := create(r.Context(), p, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := get(r.Context(), p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// apiUpdate answers PUT …/{id}: the JSON body, the service's update, then
// the record as it now is.
func apiUpdate[In, Out any](s *Server, w http.ResponseWriter, r *http.Request,
	update func(context.Context, *authz.Principal, int64, In) error,
	get func(context.Context, *authz.Principal, int64) (Out, error)) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in In
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	if err := update(r.Context(), p, id, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := get(r.Context(), p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
