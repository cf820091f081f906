package gitlabci

import (
	"slices"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

var pullPolicies = []string{"always", "never", "if-not-present"}

var imageKeys = []string{"name", "entrypoint", "docker", "kubernetes", "pull_policy"}

var serviceKeys = []string{"name", "entrypoint", "docker", "kubernetes", "pull_policy", "command", "alias", "variables"}

// image decodes image: (a name, or a map with name:).
func (d *decoder) image(v val) *pipeline.Image {
	if d.unresolved(v) {
		return nil
	}
	if isStr(v.n) {
		name, ok := d.str(v, 1)
		if !ok {
			return nil
		}
		return &pipeline.Image{Name: name, Pos: v.pos}
	}
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "an image name or a map with name:")
		return nil
	}
	img := &pipeline.Image{Pos: v.pos}
	d.imageMap(v, imageKeys, img)
	return img
}

// imageMap decodes the keys images and services share.
func (d *decoder) imageMap(v val, allowed []string, img *pipeline.Image) {
	d.object(v, allowed)
	d.require(v, "name")
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "name":
			img.Name, _ = d.str(fv, 1)
		case "entrypoint":
			img.Entrypoint, _ = d.strList(fv, 1)
		case "pull_policy":
			img.PullPolicy = d.pullPolicy(fv)
		case "docker":
			if d.object(fv, []string{"platform", "user"}) {
				for _, p := range fv.n.Pairs {
					switch p.Key {
					case "platform":
						img.Platform, _ = d.str(fv.field(p), 1)
					case "user":
						img.User = d.user(fv.field(p), false)
					}
				}
			}
		case "kubernetes":
			if d.object(fv, []string{"user"}) {
				if p := fv.n.Lookup("user"); p != nil {
					d.user(fv.field(*p), true)
				}
			}
		}
	}
}

// user decodes docker:user (a string) or kubernetes:user (string or UID).
func (d *decoder) user(v val, allowInt bool) string {
	if allowInt && v.n != nil && v.n.Kind == Scalar && v.n.Tag == TagInt {
		return v.n.Value
	}
	s, ok := d.str(v, 1)
	if ok && len(s) > 255 {
		d.errorf(v.pos, "", "%s is longer than 255 characters", v.path)
	}
	return s
}

func (d *decoder) pullPolicy(v val) []string {
	if v.n != nil && v.n.Kind == Seq {
		if len(v.n.Items) == 0 {
			d.errorf(v.pos, "list at least one of "+strings.Join(pullPolicies, ", "), "%s must not be empty", v.path)
			return nil
		}
		var out []string
		for i := range v.n.Items {
			iv := v.item(i)
			if s, ok := d.enum(iv, pullPolicies...); ok {
				if slices.Contains(out, s) {
					d.errorf(iv.pos, "remove the duplicate", "%s: %q is listed twice", v.path, s)
				}
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := d.enum(v, pullPolicies...); ok {
		return []string{s}
	}
	return nil
}

// services decodes services:.
func (d *decoder) services(v val) []pipeline.Service {
	if d.unresolved(v) {
		return nil
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of services")
		return nil
	}
	out := []pipeline.Service{}
	for i := range v.n.Items {
		iv := v.item(i)
		if d.unresolved(iv) {
			continue
		}
		s := pipeline.Service{Image: pipeline.Image{Pos: iv.pos}}
		if isStr(iv.n) {
			s.Name, _ = d.str(iv, 1)
			out = append(out, s)
			continue
		}
		if iv.n.Kind != Map {
			d.fail(iv, "an image name or a map with name:")
			continue
		}
		d.imageMap(iv, serviceKeys, &s.Image)
		for _, pr := range iv.n.Pairs {
			fv := iv.field(pr)
			switch pr.Key {
			case "alias":
				if a, ok := d.str(fv, 1); ok {
					s.Aliases = strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' })
				}
			case "command":
				s.Command, _ = d.script(fv, true)
			case "variables":
				s.Variables = d.variables(fv, false)
			}
		}
		out = append(out, s)
	}
	return out
}
