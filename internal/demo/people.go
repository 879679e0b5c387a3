package demo

import (
	"fmt"
	"math/rand/v2"

	"shegong/internal/app"
)

// Made-up personal data for the demo's clients and volunteers: names,
// resident ID numbers with a correct check character, mobile numbers and
// addresses in the towns the demo organization serves.

var clientSurnames = []rune("陈李黄张刘林何罗叶郑梁谢钟袁邓莫杨吴周徐孙朱马胡郭曾彭萧蔡潘卢冯")
var givenChars = []rune("秀英桂芳兰凤玉珍丽华美娟淑惠明志国建文伟强俊杰浩宇子轩欣怡雨涵梓晴嘉豪家乐锦荣振辉少伟丽群婉仪")

// personName returns a plausible two- or three-character name.
func personName(r *rand.Rand) string {
	s := string(clientSurnames[r.IntN(len(clientSurnames))])
	n := 1 + r.IntN(2)
	for range n {
		s += string(givenChars[r.IntN(len(givenChars))])
	}
	return s
}

// idWeightsGB are the GB 11643-1999 weights of the first 17 digits.
var idWeightsGB = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// idNumber builds an 18-digit resident ID number of Dongguan (441900) for
// the birth date and gender, with its check character.
func idNumber(r *rand.Rand, birth app.Date, male bool) string {
	seq := r.IntN(500) * 2 // even: female
	if male {
		seq++
	}
	body := fmt.Sprintf("441900%04d%02d%02d%03d", birth.Year(), int(birth.Month()), birth.Day(), seq)
	sum := 0
	for i := range 17 {
		sum += int(body[i]-'0') * idWeightsGB[i]
	}
	return body + string(idCheckChars[sum%11])
}

var mobilePrefixes = []string{"135", "136", "137", "138", "139", "150", "158", "159", "186", "188", "189", "134"}

// mobile returns an 11-digit mainland mobile number.
func mobile(r *rand.Rand) string {
	return mobilePrefixes[r.IntN(len(mobilePrefixes))] + fmt.Sprintf("%08d", r.IntN(100_000_000))
}

// communities of each service point, with street names for addresses.
var communities = map[string]struct {
	town, community string
	streets         []string
}{
	"BA": {"黄江镇", "北岸社区", []string{"北岸路", "环城东路", "北岸一街", "田心路"}},
	"XS": {"黄江镇", "新市社区", []string{"新市路", "公常路", "新市二街", "黄江大道"}},
	"ZH": {"企石镇", "振华社区", []string{"振华路", "企石大道", "东平路", "振华三街"}},
	"BS": {"企石镇", "宝石社区", []string{"宝石路", "湖滨路", "宝石一街", "企石大道"}},
	"SH": {"松山湖", "大学创新城社区", []string{"松山湖大道", "新城路", "科技四路", "学府路"}},
}

func address(r *rand.Rand, site string) string {
	c := communities[site]
	return fmt.Sprintf("东莞市%s%s%s%d号", c.town, c.community, c.streets[r.IntN(len(c.streets))], 1+r.IntN(180))
}
