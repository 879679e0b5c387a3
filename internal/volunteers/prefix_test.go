package volunteers

import "testing"

func TestCertificatePrefix(t *testing.T) {
	for _, c := range []struct{ name, settings, want string }{
		{"绿叶社工", "{}", "绿叶证字"},
		{"东莞市绿叶社会工作服务中心", "{}", "绿叶证字"},
		{"广东省东莞市绿叶社会工作服务中心", "", "绿叶证字"},
		{"东莞市南城区阳光社工服务中心", "{}", "阳光证字"},
		{"东莞市绿叶社会工作服务中心", `{"short_name": "东绿"}`, "东绿证字"},
		{"市民之家", "{}", "市民证字"},
	} {
		if got := certificatePrefix(c.name, c.settings); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.name, c.settings, got, c.want)
		}
	}
}
