-- A ReleaseFilter as a condition: the release's events, in one
-- environment when it names one.
release = @release{{if .Environment}} AND environment = @environment{{end}}
