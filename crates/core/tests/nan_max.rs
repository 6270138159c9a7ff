//! Maxima propagate NaN wherever it is, as Julia's `maximum` does.

use typeflux_core::prelude::*;

#[test]
fn the_maximum_of_values_with_a_nan_is_nan() {
    for at in 0..3 {
        let mut values = [1.0f64, 5.0, 2.0];
        values[at] = f64::NAN;
        let v = Vector::<3, f64>::from_array(values);
        assert!(v.max().is_nan(), "max of {values:?}");
        for device_stack in [false, true] {
            let m = Matrix::<3, 2, f64>::from_fn((Const, Const), |[i, j]| {
                if j == 1 { values[i] } else { i as f64 }
            });
            let (columns, rows) = if device_stack {
                let m = m.to_device(&Stack);
                (
                    ReduceAxis::<0>::max_axis(&m).to_vec(),
                    ReduceAxis::<1>::max_axis(&m).to_vec(),
                )
            } else {
                (
                    ReduceAxis::<0>::max_axis(&m).to_vec(),
                    ReduceAxis::<1>::max_axis(&m).to_vec(),
                )
            };
            // The column without a NaN keeps its maximum; the other is NaN.
            assert_eq!(columns[0], 2.0);
            assert!(columns[1].is_nan(), "max over rows of {values:?}");
            // Along the other axis only the row holding the NaN is NaN.
            for (i, r) in rows.iter().enumerate() {
                assert_eq!(r.is_nan(), i == at, "row {i} of {values:?}");
            }
        }
    }
    // Without NaN, the largest element.
    assert_eq!(
        Vector::<4, f64>::from_array([-3.0, 7.5, 7.0, -1.0]).max(),
        7.5
    );
}
