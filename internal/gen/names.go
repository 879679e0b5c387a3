package gen

import (
	"math/rand/v2"
	"strconv"
)

// Made-up personal data: names, resident ID numbers with a correct check
// character, mobile numbers and addresses in Guangdong.

var surnames = []rune("陈李黄张刘林何罗叶郑梁谢钟袁邓莫杨吴周徐孙朱马胡郭曾彭萧蔡潘卢冯王赵邱方苏余温")
var givenChars = []rune("秀英桂芳兰凤玉珍丽华美娟淑惠明志国建文伟强俊杰浩宇子轩欣怡雨涵梓晴嘉豪家乐锦荣振辉少伟群婉仪晓彤诗婷思颖雅琪永康耀祖绮雯启天佑")

// personName returns a plausible two- or three-character name.
func personName(r *rand.Rand) string {
	b := make([]rune, 0, 3)
	b = append(b, surnames[r.IntN(len(surnames))])
	for range 1 + r.IntN(2) {
		b = append(b, givenChars[r.IntN(len(givenChars))])
	}
	return string(b)
}

// regions are the first six digits of resident ID numbers of the Pearl
// River Delta and the provinces many migrant workers come from.
var regions = []string{"441900", "440106", "440304", "441302", "445202", "440604", "430621", "431021", "452501", "512501", "360732", "420982"}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// idNumber builds an 18-digit resident ID number for the birth day and
// gender with its GB 11643 check character; seq (0–499) makes it unique.
func idNumber(region string, birth day, male bool, seq int) string {
	t := birth.time()
	b := make([]byte, 0, 18)
	b = append(b, region...)
	b = strconv.AppendInt(b, int64(t.Year()), 10)
	b = append(b, byte('0'+int(t.Month())/10), byte('0'+int(t.Month())%10), byte('0'+t.Day()/10), byte('0'+t.Day()%10))
	n := seq*2 + 1
	if !male {
		n--
	}
	b = append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
	sum := 0
	for i := range 17 {
		sum += int(b[i]-'0') * idWeights[i]
	}
	return string(append(b, idCheckChars[sum%11]))
}

var mobilePrefixes = []string{"135", "136", "137", "138", "139", "150", "158", "159", "186", "188", "189", "134", "152", "182", "177"}

func mobile(r *rand.Rand) string {
	n := r.IntN(100_000_000)
	b := make([]byte, 0, 11)
	b = append(b, mobilePrefixes[r.IntN(len(mobilePrefixes))]...)
	s := strconv.Itoa(n)
	for range 8 - len(s) {
		b = append(b, '0')
	}
	return string(append(b, s...))
}

// Towns of Dongguan and a few communities with streets in each.
var townNames = []string{"黄江镇", "企石镇", "松山湖", "常平镇", "塘厦镇", "樟木头镇", "凤岗镇", "清溪镇", "东城街道", "南城街道",
	"莞城街道", "万江街道", "石碣镇", "石龙镇", "茶山镇", "石排镇", "横沥镇", "桥头镇", "谢岗镇", "大朗镇",
	"寮步镇", "大岭山镇", "长安镇", "虎门镇", "厚街镇", "沙田镇", "道滘镇", "洪梅镇", "麻涌镇", "望牛墩镇",
	"中堂镇", "高埗镇", "东坑镇"}

var communityNames = []string{"北岸", "新市", "振华", "宝石", "田心", "长龙", "鸡啼岗", "梅塘", "袁屋边", "公常",
	"新城", "大塘", "宝山", "西城", "中心", "东平", "湖滨", "沙岭", "龙湖", "黄屋"}

var streets = []string{"大道", "一街", "二街", "三街", "东路", "西路", "南路", "北路", "新村", "工业路"}

func address(r *rand.Rand, town, community string) string {
	return "东莞市" + town + community + "社区" + community + streets[r.IntN(len(streets))] +
		strconv.Itoa(1+r.IntN(200)) + "号"
}

// pick returns a random element of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }
