package entra

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
)

// Page is one browser page of the sign-in (and of the demo provider): a
// message and, optionally, a form. It carries no script.
type Page struct {
	Lang  string
	Title string
	// Org and Logo name the organisation whose page this is, above the
	// title; Footer says how to reach its support. An employee who sees
	// whose page it is, and whom to ask, does not take it for phishing.
	Org, Logo, Footer string
	Message           string
	// Form, when Action is set, posts Hidden and, if Field is set, a text
	// input of that name holding Value.
	Form struct {
		Action string
		Hidden map[string]string
		Field  string
		Label  string
		Value  string
		Submit []Button
	}
}

// Button is a form's submit button: its name=value pair says which was
// pressed.
type Button struct{ Name, Value, Label string }

// pageStyle keeps buttons and the input at least 44 px high, the usual
// minimum for a touch target.
const pageStyle = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:2.5rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}` +
	`header{display:flex;align-items:center;gap:.75rem}header img{height:40px;width:auto}header p{margin:0;font-weight:600;font-size:1.1rem}` +
	`h1{font-size:1.3rem}button{font-size:1rem;min-height:44px;min-width:44px;padding:.5rem 1.2rem;margin:.5rem .5rem 0 0}` +
	`label{display:block}input{font-size:1rem;min-height:44px;padding:.4rem;width:100%;box-sizing:border-box;margin-top:.25rem}` +
	`footer{margin-top:2rem;padding-top:.5rem;border-top:1px solid #ccc;font-size:.9rem;color:#444}`

// styleHash lets the one inline style through a CSP that allows nothing
// else.
var styleHash = func() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{{.Title}}</title><style>` + pageStyle + `</style></head>
<body>{{if or .Org .Logo}}<header>{{with .Logo}}<img src="{{.}}" alt="">{{end}}{{with .Org}}<p>{{.}}</p>{{end}}</header>{{end}}
<main><h1>{{.Title}}</h1>{{range .Paragraphs}}<p>{{.}}</p>{{end}}
{{with .Form}}{{if .Action}}<form method="post" action="{{.Action}}">{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
{{if .Field}}<label>{{.Label}}<input id="{{.Field}}" name="{{.Field}}" value="{{.Value}}" autocomplete="username"></label>{{end}}
{{range .Submit}}<button type="submit" id="{{.Name}}-{{.Value}}" name="{{.Name}}" value="{{.Value}}">{{.Label}}</button>{{end}}</form>{{end}}{{end}}</main>
{{with .Footer}}<footer><p>{{.}}</p></footer>{{end}}
</body></html>`))

// Write sends the page with status and the headers every sign-in page
// carries: never cached (a page may name a person), never framed, no
// referrer (the URL holds a one-time secret), and a CSP that lets nothing
// run. formTargets are the origins a form may post or redirect to besides
// this one.
func (p Page) Write(w http.ResponseWriter, status int, formTargets ...string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	img := ""
	if p.Logo != "" {
		img = "; img-src " + Origin(p.Logo)
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+img+"; form-action 'self' "+strings.Join(formTargets, " ")+
		"; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	data := struct {
		Page
		Paragraphs []string
	}{p, strings.Split(p.Message, "\n")}
	// A failed write means the browser went away: nothing left to tell it.
	_ = pageTemplate.Execute(w, data)
}
