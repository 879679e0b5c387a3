package web

import (
	"io/fs"
	"net/http"
)

// routes registers every route. Each business area adds its own in its
// file through a method called here.
func (s *Server) routes() {
	rt := s.router
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(static))
	rt.Handle(Route{Method: "GET", Pattern: "/static/", Access: Public, Summary: "静态文件"},
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=3600")
			fileServer.ServeHTTP(w, r)
		})
	rt.Handle(Route{Method: "GET", Pattern: "/healthz", Access: Public, Summary: "健康检查"}, s.healthz)
	s.authRoutes()
	s.homeRoutes()
	s.auditRoutes()
	s.apiDocRoutes()
	s.approvalRoutes()
	s.clientRoutes()
	s.caseRoutes()
	s.peopleRoutes()
	s.groupAreaRoutes()
	s.orgStructureRoutes()
	s.volunteerRoutes()
	s.resourceRoutes()
	s.statsRoutes()
	s.secondFactorRoutes()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.DB.R.PingContext(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "down", "db": string(s.DB.Dialect)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "db": string(s.DB.Dialect)})
}
