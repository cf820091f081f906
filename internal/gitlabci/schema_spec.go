package gitlabci

import "slices"

var schemaInputTypes = []string{"array", "boolean", "number", "string"}

// spec checks the spec: header (inputs of a reusable file). The resolver
// applies it; Decode only checks its shape.
func (d *decoder) spec(v val) {
	if d.unresolved(v) || !d.object(v, []string{"inputs", "include", "component", "description"}) {
		return
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "inputs":
			d.inputSpecs(fv, false)
		case "include":
			if fv.n == nil || fv.n.Kind != Seq {
				d.fail(fv, "a list of includes")
				continue
			}
			for i := range fv.n.Items {
				d.includeItem(fv.item(i), specIncludeForms, false)
			}
		case "component":
			if fv.n == nil || fv.n.Kind != Seq {
				d.fail(fv, "a list")
				continue
			}
			for i := range fv.n.Items {
				d.enum(fv.item(i), "name", "sha", "version", "reference")
			}
		case "description":
			if s, ok := d.str(fv, 0); ok && len(s) > 256 {
				d.errorf(fv.pos, "shorten it", "%s is longer than 256 characters", fv.path)
			}
		}
	}
}

// inputSpecs checks spec:inputs (job false) or a job's inputs: (job true:
// every input needs a default, and rules: are not allowed).
func (d *decoder) inputSpecs(v val, job bool) {
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map of input names to definitions")
		return
	}
	allowed := []string{"type", "description", "options", "regex", "default", "rules"}
	if job {
		allowed = allowed[:5]
	}
	for _, pr := range v.n.Pairs {
		iv := v.field(pr)
		if iv.n.IsNull() && !job {
			continue
		}
		if !d.object(iv, allowed) {
			continue
		}
		if job {
			d.require(iv, "default")
		}
		typ := "string"
		if p := iv.n.Lookup("type"); p != nil {
			typ, _ = d.enum(iv.field(*p), schemaInputTypes...)
		}
		for _, p := range iv.n.Pairs {
			fv := iv.field(p)
			switch p.Key {
			case "description":
				if s, ok := d.str(fv, 0); ok && len(s) > 1024 {
					d.errorf(fv.pos, "", "%s is longer than 1024 characters", fv.path)
				}
			case "options":
				d.inputOptions(fv)
			case "regex":
				d.str(fv, 0)
			case "default":
				d.inputDefault(fv, typ, !job)
			case "rules":
				d.inputRules(iv, fv, typ)
			}
		}
	}
}

func (d *decoder) inputOptions(v val) {
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of values")
		return
	}
	for i := range v.n.Items {
		if iv := v.item(i); iv.n.Kind != Scalar {
			d.fail(iv, "a string, a number or a boolean")
		}
	}
}

// inputDefault checks that a default matches the input's type (string
// when type: is omitted).
func (d *decoder) inputDefault(v val, typ string, nullOK bool) {
	if v.n.IsNull() {
		if !nullOK {
			d.fail(v, "a default value")
		}
		return
	}
	var ok bool
	switch typ {
	case "string":
		ok = isStr(v.n)
	case "number":
		ok = v.n.Kind == Scalar && (v.n.Tag == TagInt || v.n.Tag == TagFloat)
	case "boolean":
		ok = v.n.Kind == Scalar && v.n.Tag == TagBool
	case "array":
		ok = v.n.Kind == Seq
	default:
		return // unknown type, already reported
	}
	if !ok {
		d.errorf(v.pos, "quote it to make it a string, or set type:", "%s: %s does not match the input type %s", v.path, describe(v.n), typ)
	}
}

// inputRules checks spec:inputs:<name>:rules, which replace the input's
// default and options.
func (d *decoder) inputRules(input, v val, typ string) {
	for _, k := range []string{"default", "options"} {
		if p := input.n.Lookup(k); p != nil {
			d.errorf(p.KeyPos, "move it into the rules", "%s: %s: can't be used with rules:", input.path, k)
		}
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of rules")
		return
	}
	for i := range v.n.Items {
		rv := v.item(i)
		if !d.object(rv, []string{"if", "options", "default"}) {
			continue
		}
		d.require(rv, "default")
		for _, p := range rv.n.Pairs {
			fv := rv.field(p)
			switch p.Key {
			case "if":
				d.str(fv, 0)
			case "options":
				d.inputOptions(fv)
			case "default":
				d.inputDefault(fv, typ, true)
			}
		}
	}
}

// ignoredKey checks the keywords gantry accepts but does not act on
// (GitLab server features). It reports whether key was one of them.
func (d *decoder) ignoredKey(key string, v val) bool {
	if d.unresolved(v) {
		return slices.Contains(ignoredKeywords, key)
	}
	switch key {
	case "hooks":
		if d.object(v, []string{"pre_get_sources_script"}) {
			if p := v.n.Lookup("pre_get_sources_script"); p != nil {
				d.script(v.field(*p), false)
			}
		}
	case "id_tokens":
		d.idTokens(v)
	case "identity":
		d.enum(v, "google_cloud")
	case "secrets":
		d.secrets(v)
	case "dast_configuration":
		if d.object(v, []string{"site_profile", "scanner_profile"}) {
			for _, p := range v.n.Pairs {
				d.str(v.field(p), 0)
			}
		}
	case "inputs":
		d.inputSpecs(v, true)
	case "run":
		d.steps(v)
	case "release":
		d.release(v)
	case "pages":
		if v.n != nil && v.n.Kind == Scalar && v.n.Tag == TagBool {
			break
		}
		if d.object(v, []string{"path_prefix", "expire_in", "publish"}) {
			for _, p := range v.n.Pairs {
				d.str(v.field(p), 0)
			}
		}
	case "publish", "manual_confirmation":
		d.str(v, 0)
	default:
		return false
	}
	return true
}

var ignoredKeywords = []string{"hooks", "id_tokens", "identity", "secrets", "dast_configuration", "inputs", "run", "release", "pages", "publish", "manual_confirmation"}

func (d *decoder) idTokens(v val) {
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map of token names")
		return
	}
	for _, pr := range v.n.Pairs {
		tv := v.field(pr)
		if !d.object(tv, []string{"aud"}) || !d.require(tv, "aud") {
			continue
		}
		av := tv.field(*tv.n.Lookup("aud"))
		if aud, ok := d.strOrList(av, 1); ok {
			seen := map[string]bool{}
			for _, a := range aud {
				if seen[a] {
					d.errorf(av.pos, "remove the duplicate", "%s: %q is listed twice", av.path, a)
				}
				seen[a] = true
			}
		}
	}
}

var secretProviders = []string{"vault", "gcp_secret_manager", "azure_key_vault", "aws_secrets_manager"}

func (d *decoder) secrets(v val) {
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a map of secret names")
		return
	}
	for _, pr := range v.n.Pairs {
		sv := v.field(pr)
		if !d.object(sv, append([]string{"file", "token"}, secretProviders...)) {
			continue
		}
		n := 0
		for _, p := range secretProviders {
			if sv.n.Lookup(p) != nil {
				n++
			}
		}
		if n == 0 {
			d.errorf(sv.pos, "add one of vault:, gcp_secret_manager:, azure_key_vault:, aws_secrets_manager:", "%s: no secret provider", sv.path)
		}
		if sv.n.Lookup("gcp_secret_manager") != nil {
			d.require(sv, "token")
		}
		for _, p := range sv.n.Pairs {
			fv := sv.field(p)
			switch p.Key {
			case "file":
				d.boolean(fv)
			case "token":
				d.str(fv, 0)
			case "vault":
				if isStr(fv.n) {
					break
				}
				if d.object(fv, []string{"engine", "path", "field"}) && d.require(fv, "engine", "path", "field") {
					ev := fv.field(*fv.n.Lookup("engine"))
					if d.object(ev, []string{"name", "path"}) && d.require(ev, "name", "path") {
						d.strFields(ev)
					}
					d.str(fv.field(*fv.n.Lookup("path")), 0)
					d.str(fv.field(*fv.n.Lookup("field")), 0)
				}
			case "gcp_secret_manager":
				if d.object(fv, []string{"name", "version"}) && d.require(fv, "name") {
					d.str(fv.field(*fv.n.Lookup("name")), 0)
					if p := fv.n.Lookup("version"); p != nil && (p.Value == nil || p.Value.Kind != Scalar || p.Value.Tag != TagInt) {
						d.str(fv.field(*p), 0)
					}
				}
			case "azure_key_vault":
				if d.object(fv, []string{"name", "version"}) && d.require(fv, "name") {
					d.strFields(fv)
				}
			case "aws_secrets_manager":
				if isStr(fv.n) {
					break
				}
				if d.object(fv, []string{"secret_id", "version_id", "version_stage", "region", "role_arn", "role_session_name", "field"}) && d.require(fv, "secret_id") {
					d.strFields(fv)
				}
			}
		}
	}
}

// strFields checks that every value of the map at v is a string.
func (d *decoder) strFields(v val) {
	for _, p := range v.n.Pairs {
		d.str(v.field(p), 0)
	}
}

func (d *decoder) release(v val) {
	if !d.object(v, []string{"tag_name", "tag_message", "description", "name", "ref", "milestones", "released_at", "assets"}) {
		return
	}
	d.require(v, "tag_name", "description")
	for _, p := range v.n.Pairs {
		fv := v.field(p)
		switch p.Key {
		case "tag_name", "description":
			d.str(fv, 1)
		case "milestones":
			d.strList(fv, 0)
		case "assets":
			if !d.object(fv, []string{"links"}) || !d.require(fv, "links") {
				continue
			}
			lv := fv.field(*fv.n.Lookup("links"))
			if lv.n == nil || lv.n.Kind != Seq || len(lv.n.Items) == 0 {
				d.fail(lv, "a non-empty list of links")
				continue
			}
			for i := range lv.n.Items {
				link := lv.item(i)
				if d.object(link, []string{"name", "url", "filepath", "link_type"}) && d.require(link, "name", "url") {
					for _, q := range link.n.Pairs {
						if q.Key == "link_type" {
							d.enum(link.field(q), "runbook", "package", "image", "other")
						} else {
							d.str(link.field(q), 1)
						}
					}
				}
			}
		default:
			d.str(fv, 0)
		}
	}
}
