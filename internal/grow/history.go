package grow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
)

// HistoryKey is the config.json key that lists a checkpoint's growths, oldest first.
const HistoryKey = "growth_history"

// planJSON is the schema of a Plan on disk, in key order. To and ZeroOptim are pointers so that
// reading can tell an absent key from a zero one.
type planJSON struct {
	Stage     int    `json:"stage,omitempty"`
	Step      int    `json:"step,omitempty"`
	Op        string `json:"op"`
	Block     int    `json:"block"`
	From      int    `json:"from"`
	To        *int   `json:"to"`
	Src       []int  `json:"src"`
	Copy      []bool `json:"copy"`
	Identity  bool   `json:"identity"`
	ZeroOptim *bool  `json:"zero_optim,omitempty"`
}

// MarshalJSON writes the one schema of growth records, with the keys in this order:
//
//	stage       the stage the growth starts (omitted for a surgery, Stage 0)
//	step        optimizer steps done when it happened (omitted when 0)
//	op          midas | gradstack | double | map
//	block       layers per block
//	from, to    layers before and after (to = len(src))
//	src         src[i] is the old layer copied into new layer i
//	copy        copy[i] marks new layer i as a fresh copy
//	identity    the copies' o_proj and down_proj were zeroed
//	zero_optim  the copies got zero AdamW moments (written for a growth inside a run, stage ≥ 1, and
//	            whenever true; a surgery has no optimizer state)
//
// A run's growths are thus written exactly as trainer_state.json and config.json have always had
// them, and a surgery's as `midas grow` has always appended them to growth_history.
func (p Plan) MarshalJSON() ([]byte, error) {
	to := len(p.Src)
	j := planJSON{Stage: p.Stage, Step: p.Step, Op: p.Op, Block: p.Block, From: p.From, To: &to, Src: p.Src,
		Copy: p.Copy, Identity: p.Identity}
	if p.Stage > 0 || p.ZeroOptim {
		j.ZeroOptim = &p.ZeroOptim
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, and plans written before `stage`, `step`, `to` or
// `zero_optim` existed (they default to 0 and false). An unknown key, or a `to` other than len(src),
// is an error; the plan is not validated (see Validate).
func (p *Plan) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var j planJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("grow: plan: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if j.To != nil && *j.To != len(j.Src) {
		return fmt.Errorf("grow: plan has to %d but %d source layers", *j.To, len(j.Src))
	}
	*p = Plan{Stage: j.Stage, Step: j.Step, Op: j.Op, Block: j.Block, From: j.From, Src: j.Src, Copy: j.Copy,
		Identity: j.Identity}
	if j.ZeroOptim != nil {
		p.ZeroOptim = *j.ZeroOptim
	}
	return nil
}

// AppendHistory returns a copy of extra (config.json's keys besides the model's, as ckpt.LlamaConfig
// keeps them) with plans appended to its growth_history list. Earlier entries are kept byte for byte,
// whoever wrote them; an absent or null list starts empty. With no plans and no list, extra is
// returned as it is.
func AppendHistory(extra map[string]json.RawMessage, plans ...Plan) (map[string]json.RawMessage, error) {
	raw, ok := extra[HistoryKey]
	if len(plans) == 0 && !ok {
		return extra, nil
	}
	var hist []json.RawMessage
	if ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &hist); err != nil {
			return nil, fmt.Errorf("grow: %s is not a list: %v", HistoryKey, err)
		}
	}
	for _, p := range plans {
		e, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("grow: %v", err)
		}
		hist = append(hist, e)
	}
	out := make(map[string]json.RawMessage, len(extra)+1)
	maps.Copy(out, extra)
	var err error
	if out[HistoryKey], err = json.Marshal(hist); err != nil {
		return nil, fmt.Errorf("grow: %v", err)
	}
	return out, nil
}

// ReadHistory reads the growth_history list of config.json's extra keys (nil when there is none). An
// entry that is not a plan is an error naming its index.
func ReadHistory(extra map[string]json.RawMessage) ([]Plan, error) {
	raw, ok := extra[HistoryKey]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var hist []json.RawMessage
	if err := json.Unmarshal(raw, &hist); err != nil {
		return nil, fmt.Errorf("grow: %s is not a list: %v", HistoryKey, err)
	}
	plans := make([]Plan, len(hist))
	for i, e := range hist {
		if err := json.Unmarshal(e, &plans[i]); err != nil {
			return nil, fmt.Errorf("grow: %s entry %d: %v", HistoryKey, i, strings.TrimPrefix(err.Error(), "grow: "))
		}
	}
	return plans, nil
}
