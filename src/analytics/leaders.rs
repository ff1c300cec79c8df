//! Which of a department's subjects a figure describes: one bit per subject, in an order
//! drawn at random when the cycle closes and never stored. Two figures' bitsets say how
//! many subjects they describe together, and nothing about who those subjects are.

/// A set of a department's subjects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leaders(Vec<u64>);

impl Leaders {
    pub fn insert(&mut self, bit: usize) {
        let word = bit / 64;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (bit % 64);
    }

    pub fn union_with(&mut self, other: &Leaders) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine |= theirs;
        }
    }

    pub fn count(&self) -> i64 {
        self.0.iter().map(|w| i64::from(w.count_ones())).sum()
    }

    /// Little-endian words, as stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(
            bytes
                .chunks(8)
                .map(|chunk| {
                    let mut word = [0u8; 8];
                    word[..chunk.len()].copy_from_slice(chunk);
                    u64::from_le_bytes(word)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Leaders;

    #[test]
    fn a_set_counts_its_union_and_survives_storage() {
        let mut a = Leaders::default();
        [0, 3, 64, 200].into_iter().for_each(|b| a.insert(b));
        let mut b = Leaders::default();
        [3, 5].into_iter().for_each(|bit| b.insert(bit));
        assert_eq!(a.count(), 4);
        b.union_with(&a);
        assert_eq!(b.count(), 5);
        assert_eq!(Leaders::from_bytes(&b.to_bytes()), b);
    }
}
